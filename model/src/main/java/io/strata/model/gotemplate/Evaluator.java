package io.strata.model.gotemplate;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Runs parsed nodes over data made of maps, lists, strings, numbers and booleans. */
final class Evaluator {
    private record Var(String name, Object value) {}

    /** Thrown by {{break}} and {{continue}}, caught by the innermost range. */
    private static final class LoopControl extends RuntimeException {
        final boolean isBreak;

        LoopControl(final boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    private final StringBuilder out = new StringBuilder();
    private final List<Var> vars = new ArrayList<>();
    private final Clock clock;
    private int rangeDepth;

    private Evaluator(final Object data, final Clock clock) {
        this.clock = clock;
        vars.add(new Var("$", data));
    }

    static String run(final List<Node> nodes, final Object data, final Clock clock) {
        final Evaluator e = new Evaluator(data, clock);
        e.walk(nodes, data);
        return e.out.toString();
    }

    private void walk(final List<Node> nodes, final Object dot) {
        for (Node n : nodes) {
            switch (n) {
                case Node.Text t -> out.append(t.text());
                case Node.Action a -> {
                    final Object v = pipeline(a.pipeline(), dot);
                    if (a.pipeline().variables().isEmpty()) {
                        out.append(format(v));
                    }
                }
                case Node.If i -> scoped(truth(pipeline(i.condition(), dot)) ? i.then() : i.otherwise(), dot);
                case Node.With w -> {
                    final int mark = vars.size();
                    final Object v = pipeline(w.value(), dot);
                    if (truth(v)) {
                        walk(w.body(), v);
                    } else {
                        walk(w.otherwise(), dot);
                    }
                    truncate(mark);
                }
                case Node.Range r -> range(r, dot);
                case Node.Break b -> {
                    if (rangeDepth == 0) {
                        throw new GoTemplateException(b.line(), "{{break}} outside {{range}}");
                    }
                    throw new LoopControl(true);
                }
                case Node.Continue c -> {
                    if (rangeDepth == 0) {
                        throw new GoTemplateException(c.line(), "{{continue}} outside {{range}}");
                    }
                    throw new LoopControl(false);
                }
            }
        }
    }

    private void scoped(final List<Node> nodes, final Object dot) {
        final int mark = vars.size();
        walk(nodes, dot);
        truncate(mark);
    }

    private void truncate(final int mark) {
        while (vars.size() > mark) {
            vars.removeLast();
        }
    }

    private void range(final Node.Range r, final Object dot) {
        final int mark = vars.size();
        final Node.Pipeline p = r.value();
        final Object v = pipeline(new Node.Pipeline(List.of(), false, p.commands(), p.line()), dot);
        final List<Object[]> entries = new ArrayList<>(); // {key, element}
        switch (v) {
            case null -> { }
            case List<?> l -> {
                for (int i = 0; i < l.size(); i++) {
                    entries.add(new Object[]{(long) i, l.get(i)});
                }
            }
            case Map<?, ?> m -> new TreeMap<>(m).forEach((k, e) -> entries.add(new Object[]{k, e}));
            case Long n -> {
                for (long i = 0; i < n; i++) {
                    entries.add(new Object[]{i, i});
                }
            }
            default -> throw new GoTemplateException(r.line(), "range can't iterate over " + format(v));
        }
        if (entries.isEmpty()) {
            walk(r.otherwise(), dot);
            truncate(mark);
            return;
        }
        rangeDepth++;
        try {
            for (Object[] e : entries) {
                final int inner = vars.size();
                if (p.variables().size() == 1) {
                    bind(p, 0, e[1]);
                } else if (p.variables().size() == 2) {
                    bind(p, 0, e[0]);
                    bind(p, 1, e[1]);
                }
                try {
                    walk(r.body(), e[1]);
                } catch (LoopControl c) {
                    if (c.isBreak) {
                        break;
                    }
                } finally {
                    truncate(p.declare() ? inner : vars.size());
                }
            }
        } finally {
            rangeDepth--;
            truncate(mark);
        }
    }

    private void bind(final Node.Pipeline p, final int i, final Object value) {
        if (p.declare()) {
            vars.add(new Var(p.variables().get(i), value));
        } else {
            assign(p.variables().get(i), value, p.line());
        }
    }

    private void assign(final String name, final Object value, final int line) {
        for (int i = vars.size() - 1; i >= 0; i--) {
            if (vars.get(i).name().equals(name)) {
                vars.set(i, new Var(name, value));
                return;
            }
        }
        throw new GoTemplateException(line, "undefined variable: " + name);
    }

    private Object pipeline(final Node.Pipeline p, final Object dot) {
        Object value = null;
        boolean first = true;
        for (Node.Command c : p.commands()) {
            value = command(c, dot, first ? null : new Object[]{value});
            first = false;
        }
        if (!p.variables().isEmpty()) {
            if (p.declare()) {
                vars.add(new Var(p.variables().get(0), value));
            } else {
                assign(p.variables().get(0), value, p.line());
            }
        }
        return value;
    }

    /** Runs one command; {@code piped}, when not null, holds the previous command's value (the last argument). */
    private Object command(final Node.Command c, final Object dot, final Object[] piped) {
        final Node.Operand head = c.operands().getFirst();
        if (head instanceof Node.Operand.Function f) {
            final List<Node.Operand> rest = c.operands().subList(1, c.operands().size());
            if (f.name().equals("and") || f.name().equals("or")) {
                return andOr(f.name(), rest, dot, piped, c.line());
            }
            final List<Object> args = new ArrayList<>();
            for (Node.Operand o : rest) {
                args.add(operand(o, dot, c.line()));
            }
            if (piped != null) {
                args.add(piped[0]);
            }
            return Functions.call(f.name(), args, clock, c.line());
        }
        if (c.operands().size() > 1 || piped != null) {
            throw new GoTemplateException(c.line(), "can't give argument to non-function " + describe(head));
        }
        return operand(head, dot, c.line());
    }

    /** Go 1.18's short-circuit and/or: the first falsy (and) or truthy (or) argument, else the last. */
    private Object andOr(final String name, final List<Node.Operand> ops, final Object dot, final Object[] piped,
                         final int line) {
        final int count = ops.size() + (piped == null ? 0 : 1);
        if (count < 1) {
            throw new GoTemplateException(line, "wrong number of args for " + name + ": want at least 1 got 0");
        }
        Object v = null;
        for (int i = 0; i < count; i++) {
            v = i < ops.size() ? operand(ops.get(i), dot, line) : piped[0];
            if (truth(v) == name.equals("or")) {
                return v;
            }
        }
        return v;
    }

    private Object operand(final Node.Operand o, final Object dot, final int line) {
        return switch (o) {
            case Node.Operand.Field f -> fields(dot, f.chain(), line);
            case Node.Operand.Variable v -> fields(variable(v.name(), line), v.chain(), line);
            case Node.Operand.Literal l -> l.value();
            case Node.Operand.Function f -> command(new Node.Command(List.of(f), line), dot, null);
            case Node.Operand.Sub s -> fields(pipeline(s.pipeline(), dot), s.chain(), line);
        };
    }

    private Object variable(final String name, final int line) {
        if (name.equals("$")) {
            return vars.getFirst().value();
        }
        for (int i = vars.size() - 1; i >= 0; i--) {
            if (vars.get(i).name().equals(name)) {
                return vars.get(i).value();
            }
        }
        throw new GoTemplateException(line, "undefined variable: " + name);
    }

    /** Field access on maps; a missing key or a field of nil is nil ({@code missingkey=zero}, as Ollama runs templates). */
    private static Object fields(Object v, final List<String> chain, final int line) {
        for (String name : chain) {
            if (v == null) {
                return null;
            }
            if (!(v instanceof Map<?, ?> m)) {
                throw new GoTemplateException(line, "can't evaluate field " + name + " in type " + Functions.kind(v));
            }
            v = m.get(name);
        }
        return v;
    }

    private static String describe(final Node.Operand o) {
        return switch (o) {
            case Node.Operand.Field f -> "." + String.join(".", f.chain());
            case Node.Operand.Variable v -> v.name();
            case Node.Operand.Literal l -> String.valueOf(l.value());
            default -> "value";
        };
    }

    /** Go's truth: false, 0, nil and empty strings, lists and maps are false. */
    static boolean truth(final Object v) {
        return switch (v) {
            case null -> false;
            case Boolean b -> b;
            case Number n -> n.doubleValue() != 0;
            case CharSequence s -> !s.isEmpty();
            case List<?> l -> !l.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            default -> true;
        };
    }

    /** Go's {@code %v} for the values templates see; nil prints as nothing. */
    static String format(final Object v) {
        return switch (v) {
            case null -> "";
            case Double d -> d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < 1e21 ? Long.toString(d.longValue())
                    : d.toString();
            case Float f -> format(f.doubleValue());
            case List<?> l -> {
                final StringBuilder b = new StringBuilder("[");
                for (int i = 0; i < l.size(); i++) {
                    b.append(i > 0 ? " " : "").append(format(l.get(i)));
                }
                yield b.append(']').toString();
            }
            case Map<?, ?> m -> {
                final StringBuilder b = new StringBuilder("map[");
                final boolean[] firstEntry = {true};
                new TreeMap<>(m).forEach((k, e) -> {
                    b.append(firstEntry[0] ? "" : " ").append(format(k)).append(':').append(format(e));
                    firstEntry[0] = false;
                });
                yield b.append(']').toString();
            }
            default -> v.toString();
        };
    }
}
