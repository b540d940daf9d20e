package io.strata.model.gotemplate;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Walks over parsed templates: the field names they use, and Ollama's cut after {@code .Response}. */
final class Nodes {
    private Nodes() {
    }

    static Set<String> fieldNames(final List<Node> nodes) {
        final Set<String> out = new HashSet<>();
        nodes.forEach(n -> collect(n, out));
        return out;
    }

    private static void collect(final Node n, final Set<String> out) {
        switch (n) {
            case Node.Action a -> collect(a.pipeline(), out);
            case Node.If i -> {
                collect(i.condition(), out);
                i.then().forEach(c -> collect(c, out));
                i.otherwise().forEach(c -> collect(c, out));
            }
            case Node.With w -> {
                collect(w.value(), out);
                w.body().forEach(c -> collect(c, out));
                w.otherwise().forEach(c -> collect(c, out));
            }
            case Node.Range r -> {
                collect(r.value(), out);
                r.body().forEach(c -> collect(c, out));
                r.otherwise().forEach(c -> collect(c, out));
            }
            default -> { }
        }
    }

    private static void collect(final Node.Pipeline p, final Set<String> out) {
        for (Node.Command c : p.commands()) {
            for (Node.Operand o : c.operands()) {
                switch (o) {
                    case Node.Operand.Field f -> out.addAll(f.chain());
                    case Node.Operand.Variable v -> out.addAll(v.chain());
                    case Node.Operand.Sub s -> {
                        collect(s.pipeline(), out);
                        out.addAll(s.chain());
                    }
                    default -> { }
                }
            }
        }
    }

    /**
     * Ollama's {@code deleteNode} as its legacy path uses it: walking depth-first, the first action argument that is
     * a field chain naming {@code Response} is kept and every node after it is dropped, so generation continues
     * where the response would go. Conditions of if/with/range are not walked (as in Ollama).
     */
    static List<Node> cutAfterResponse(final List<Node> nodes) {
        return new Cutter().list(nodes);
    }

    private static final class Cutter {
        private boolean cut;

        List<Node> list(final List<Node> nodes) {
            final List<Node> out = new ArrayList<>();
            for (Node n : nodes) {
                final Node kept = node(n);
                if (kept != null) {
                    out.add(kept);
                }
            }
            return List.copyOf(out);
        }

        private Node node(final Node n) {
            if (cut) {
                return null;
            }
            return switch (n) {
                case Node.Action a -> {
                    final Node.Pipeline p = pipeline(a.pipeline());
                    yield p == null ? null : new Node.Action(p, a.line());
                }
                case Node.If i -> new Node.If(i.condition(), list(i.then()), list(i.otherwise()), i.line());
                case Node.With w -> new Node.With(w.value(), list(w.body()), list(w.otherwise()), w.line());
                case Node.Range r -> new Node.Range(r.value(), list(r.body()), list(r.otherwise()), r.line());
                default -> n;
            };
        }

        private Node.Pipeline pipeline(final Node.Pipeline p) {
            final List<Node.Command> commands = new ArrayList<>();
            for (Node.Command c : p.commands()) {
                final List<Node.Operand> args = new ArrayList<>();
                for (Node.Operand o : c.operands()) {
                    if (cut) {
                        continue;
                    }
                    if (o instanceof Node.Operand.Field f && f.chain().contains("Response")) {
                        cut = true;
                        args.add(o);
                    } else if (o instanceof Node.Operand.Sub s) {
                        final Node.Pipeline inner = pipeline(s.pipeline());
                        if (inner != null) {
                            args.add(new Node.Operand.Sub(inner, s.chain()));
                        }
                    } else {
                        args.add(o);
                    }
                }
                if (args.isEmpty()) {
                    return null;
                }
                commands.add(new Node.Command(List.copyOf(args), c.line()));
            }
            return commands.isEmpty() ? null : new Node.Pipeline(p.variables(), p.declare(), List.copyOf(commands), p.line());
        }
    }
}
