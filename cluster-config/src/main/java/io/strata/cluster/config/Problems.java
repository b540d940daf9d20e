package io.strata.cluster.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The problems found in one file so far, and the line of every field read, so that checks across fields (which run
 * on the records) can still point at a line.
 */
final class Problems {
    private final String file;
    private final List<ConfigProblem> found = new ArrayList<>();
    private final Map<String, Integer> lines = new HashMap<>();

    Problems(final String file) {
        this.file = file;
    }

    /** Longest value or key echoed in a message; longer ones are cut, so a hostile value cannot flood the log. */
    static final int MAX_SHOWN_CHARS = 40;

    /** {@code text} as a message shows it: whole when short, else its start and its length. */
    static String shown(final String text) {
        return text.length() <= MAX_SHOWN_CHARS ? text
                : text.substring(0, MAX_SHOWN_CHARS) + "...(" + text.length() + " characters)";
    }

    void add(final int line, final String field, final String message) {
        found.add(new ConfigProblem(file, line, field, message));
    }

    /** Adds a problem at the line where {@code field} was read (or the closest enclosing field that was). */
    void at(final String field, final String message) {
        add(lineOf(field), field, message);
    }

    void recordLine(final String field, final int line) {
        lines.putIfAbsent(field, line);
    }

    boolean hasLine(final String field) {
        return lines.containsKey(field);
    }

    int lineOf(final String field) {
        String f = field;
        while (!f.isEmpty()) {
            final Integer line = lines.get(f);
            if (line != null) {
                return line;
            }
            f = parent(f);
        }
        return lines.getOrDefault("", 1);
    }

    private static String parent(final String field) {
        final int cut = Math.max(field.lastIndexOf('.'), field.lastIndexOf('['));
        return cut < 0 ? "" : field.substring(0, cut);
    }

    boolean any() { return !found.isEmpty(); }

    void throwIfAny() {
        if (any()) {
            throw new ConfigException(found);
        }
    }
}
