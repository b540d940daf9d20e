package io.strata.cluster.config;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Typed reads from one YAML mapping node, each recording a problem (file, line, field path) instead of throwing,
 * so one load reports every mistake. A read that fails returns a placeholder; the loader throws before anyone
 * sees it. {@link #finish()} reports the keys that no read asked for, with a suggestion.
 */
final class YamlMapping {
    static final int MIN_PORT = 1;
    static final int MAX_PORT = 65535;

    private final String path;
    private final int line;
    private final Problems problems;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
    private final Set<String> known = new LinkedHashSet<>();

    private YamlMapping(final MappingNode node, final String path, final Problems problems) {
        this.path = path;
        this.line = lineOf(node);
        this.problems = problems;
        problems.recordLine(path, line);
        for (final NodeTuple t : node.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode key)) {
                problems.add(lineOf(t.getKeyNode()), path, "a key must be a plain word");
                continue;
            }
            final NodeTuple first = entries.putIfAbsent(key.getValue(), t);
            if (first != null) {
                problems.add(lineOf(key), field(key.getValue()),
                        "duplicate key (first at line " + lineOf(first.getKeyNode()) + ")");
            } else {
                problems.recordLine(field(key.getValue()), lineOf(key));
            }
        }
    }

    /** The mapping at {@code node}, or null (with a problem recorded) when it is something else. */
    static YamlMapping of(final Node node, final String path, final Problems problems) {
        if (node instanceof MappingNode m) {
            return new YamlMapping(m, path, problems);
        }
        problems.add(lineOf(node), path, "expected a mapping of key: value lines, found " + describe(node));
        return null;
    }

    static int lineOf(final Node node) {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    String field(final String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    boolean has(final String key) {
        known.add(key);
        return value(key) != null;
    }

    /** The value node, or null when the key is absent or has no value ({@code key:} alone, or {@code ~}). */
    private Node value(final String key) {
        final NodeTuple t = entries.get(key);
        if (t == null) {
            return null;
        }
        final Node v = t.getValueNode();
        return v instanceof ScalarNode s && s.getTag().equals(Tag.NULL) ? null : v;
    }

    private Node required(final String key) {
        known.add(key);
        final Node v = value(key);
        if (v == null) {
            problems.add(entries.containsKey(key) ? lineOf(entries.get(key).getKeyNode()) : line, field(key),
                    entries.containsKey(key) ? "has no value" : "required key is missing");
        }
        return v;
    }

    private String scalar(final String key, final Node v) {
        if (v instanceof ScalarNode s) {
            return s.getValue();
        }
        problems.add(lineOf(v), field(key), "expected a single value, found " + describe(v));
        return null;
    }

    String string(final String key) {
        final Node v = required(key);
        final String s = v == null ? null : scalar(key, v);
        if (s != null && s.isBlank()) {
            problems.add(lineOf(v), field(key), "must not be empty");
        }
        return s == null ? "" : s;
    }

    /** A whole number in [min, max]; {@code what} names the range in the message ("a port (1-65535)"). */
    int integer(final String key, final long min, final long max, final String what) {
        final Node v = required(key);
        return v == null ? 0 : checkedInteger(key, v, min, max, what);
    }

    int integer(final String key, final int defaultValue, final long min, final long max, final String what) {
        known.add(key);
        final Node v = value(key);
        return v == null ? defaultValue : checkedInteger(key, v, min, max, what);
    }

    int port(final String key) {
        return integer(key, MIN_PORT, MAX_PORT, "a port (" + MIN_PORT + "-" + MAX_PORT + ")");
    }

    private int checkedInteger(final String key, final Node v, final long min, final long max, final String what) {
        final String s = scalar(key, v);
        if (s == null) {
            return 0;
        }
        final long n;
        try {
            n = Long.parseLong(s.strip().replace("_", ""));
        } catch (final NumberFormatException e) {
            problems.add(lineOf(v), field(key), Problems.shown(s) + " is not a whole number");
            return 0;
        }
        if (n < min || n > max) {
            problems.add(lineOf(v), field(key), Problems.shown(s) + " is not " + what);
            return 0;
        }
        return (int) n;
    }

    /** A scalar turned into a value by {@code parse}, whose IllegalArgumentException message becomes the problem. */
    <T> T parsed(final String key, final Function<String, T> parse, final T placeholder) {
        final Node v = required(key);
        final String s = v == null ? null : scalar(key, v);
        if (s == null) {
            return placeholder;
        }
        try {
            return parse.apply(s);
        } catch (final IllegalArgumentException e) {
            problems.add(lineOf(v), field(key), e.getMessage());
            return placeholder;
        }
    }

    /** A word from a fixed list; a near miss gets a suggestion. */
    String choice(final String key, final List<String> allowed) {
        final Node v = required(key);
        final String s = v == null ? null : scalar(key, v);
        if (s == null) {
            return allowed.getFirst();
        }
        if (!allowed.contains(s)) {
            final String hint = Suggestions.closest(s, allowed).map(c -> "did you mean " + c + "? ").orElse("");
            problems.add(lineOf(v), field(key), "'" + Problems.shown(s) + "' is not one of " + allowed + "; " + hint);
            return allowed.getFirst();
        }
        return s;
    }

    /** The elements of a sequence, each with its path ({@code workers[1]}); empty (with a problem) when absent. */
    List<Element> sequence(final String key) {
        final Node v = required(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof SequenceNode seq)) {
            problems.add(lineOf(v), field(key), "expected a list of '- ' items, found " + describe(v));
            return List.of();
        }
        final List<Element> out = new ArrayList<>();
        for (final Node item : seq.getValue()) {
            final String itemPath = field(key) + "[" + out.size() + "]";
            problems.recordLine(itemPath, lineOf(item));
            out.add(new Element(itemPath, item));
        }
        return out;
    }

    YamlMapping mapping(final String key) {
        final Node v = required(key);
        return v == null ? null : of(v, field(key), problems);
    }

    /** Reports every key that no read asked for, with the closest known key as a suggestion. */
    void finish() {
        for (final Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            if (!known.contains(e.getKey())) {
                final String hint = Suggestions.closest(e.getKey(), known)
                        .map(c -> "; did you mean " + c + "?")
                        .orElse("; known keys: " + String.join(", ", known));
                problems.add(lineOf(e.getValue().getKeyNode()), field(Problems.shown(e.getKey())),
                        "unknown key" + hint);
            }
        }
    }

    private static String describe(final Node node) {
        return switch (node) {
            case MappingNode m -> "a mapping";
            case SequenceNode s -> "a list";
            case ScalarNode s -> "'" + Problems.shown(s.getValue()) + "'";
            default -> node.getNodeId().name();
        };
    }

    /** One item of a YAML list and its field path. */
    record Element(String path, Node node) {}
}
