package io.strata.model.gotemplate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The functions templates may call: Go's built-ins that Ollama's library templates use ({@code eq ne lt le gt ge
 * and or not len slice index print printf println}) and Ollama's own {@code json}, {@code currentDate},
 * {@code yesterdayDate}. {@code and}/{@code or} are evaluated lazily by {@link Evaluator}.
 */
final class Functions {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NAMES = Set.of("eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "len",
            "slice", "index", "print", "printf", "println", "json", "currentDate", "yesterdayDate");

    private Functions() {
    }

    static boolean exists(final String name) {
        return NAMES.contains(name);
    }

    static Object call(final String name, final List<Object> args, final Clock clock, final int line) {
        return switch (name) {
            case "eq" -> {
                need(name, args, 2, Integer.MAX_VALUE, line);
                for (int i = 1; i < args.size(); i++) {
                    if (equal(args.get(0), args.get(i), line)) {
                        yield true;
                    }
                }
                yield false;
            }
            case "ne" -> {
                need(name, args, 2, 2, line);
                yield !equal(args.get(0), args.get(1), line);
            }
            case "lt", "le", "gt", "ge" -> {
                need(name, args, 2, 2, line);
                final int c = compare(args.get(0), args.get(1), line);
                yield switch (name) {
                    case "lt" -> c < 0;
                    case "le" -> c <= 0;
                    case "gt" -> c > 0;
                    default -> c >= 0;
                };
            }
            case "not" -> {
                need(name, args, 1, 1, line);
                yield !Evaluator.truth(args.get(0));
            }
            case "len" -> {
                need(name, args, 1, 1, line);
                yield (long) length(args.get(0), line);
            }
            case "index" -> {
                need(name, args, 1, Integer.MAX_VALUE, line);
                Object v = args.get(0);
                for (int i = 1; i < args.size(); i++) {
                    v = index(v, args.get(i), line);
                }
                yield v;
            }
            case "slice" -> {
                need(name, args, 1, 3, line);
                yield slice(args, line);
            }
            case "print" -> sprint(args);
            case "println" -> {
                final StringBuilder b = new StringBuilder();
                for (int i = 0; i < args.size(); i++) {
                    b.append(i > 0 ? " " : "").append(Evaluator.format(args.get(i)));
                }
                yield b.append('\n').toString();
            }
            case "printf" -> {
                need(name, args, 1, Integer.MAX_VALUE, line);
                yield printf(String.valueOf(args.get(0)), args.subList(1, args.size()), line);
            }
            case "json" -> {
                need(name, args, 1, 1, line);
                try {
                    yield JSON.writeValueAsString(args.get(0));
                } catch (JsonProcessingException e) {
                    throw new GoTemplateException(line, "json: " + e.getOriginalMessage());
                }
            }
            case "currentDate" -> LocalDate.now(clock).toString();
            case "yesterdayDate" -> LocalDate.now(clock).minusDays(1).toString();
            default -> throw new GoTemplateException(line, "function \"" + name + "\" not defined");
        };
    }

    private static void need(final String name, final List<Object> args, final int min, final int max, final int line) {
        if (args.size() < min || args.size() > max) {
            throw new GoTemplateException(line, "wrong number of args for " + name + ": want "
                    + (min == max ? Integer.toString(min) : "at least " + min) + " got " + args.size());
        }
    }

    private static boolean equal(final Object a, final Object b, final int line) {
        if (a instanceof Number x && b instanceof Number y) {
            return isInteger(x) && isInteger(y) ? x.longValue() == y.longValue() : x.doubleValue() == y.doubleValue();
        }
        if (a == null || b == null) {
            return a == b;
        }
        if (a.getClass() != b.getClass() && !(a instanceof CharSequence && b instanceof CharSequence)) {
            throw new GoTemplateException(line, "incompatible types for comparison: " + kind(a) + " and " + kind(b));
        }
        if (a instanceof List<?> || a instanceof Map<?, ?>) {
            throw new GoTemplateException(line, "non-comparable type " + kind(a));
        }
        return Objects.equals(a.toString(), b.toString()) && (a instanceof CharSequence || a.equals(b));
    }

    private static int compare(final Object a, final Object b, final int line) {
        if (a instanceof Number x && b instanceof Number y) {
            return isInteger(x) && isInteger(y) ? Long.compare(x.longValue(), y.longValue())
                    : Double.compare(x.doubleValue(), y.doubleValue());
        }
        if (a instanceof CharSequence x && b instanceof CharSequence y) {
            return x.toString().compareTo(y.toString());
        }
        throw new GoTemplateException(line, "incompatible types for comparison: " + kind(a) + " and " + kind(b));
    }

    private static boolean isInteger(final Number n) {
        return n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte;
    }

    static String kind(final Object v) {
        return switch (v) {
            case null -> "nil";
            case CharSequence s -> "string";
            case Boolean b -> "bool";
            case Number n -> isInteger(n) ? "int" : "float64";
            case List<?> l -> "slice";
            case Map<?, ?> m -> "map";
            default -> v.getClass().getSimpleName();
        };
    }

    private static int length(final Object v, final int line) {
        return switch (v) {
            case CharSequence s -> s.toString().getBytes(StandardCharsets.UTF_8).length; // Go counts bytes
            case List<?> l -> l.size();
            case Map<?, ?> m -> m.size();
            case null -> throw new GoTemplateException(line, "len of nil pointer");
            default -> throw new GoTemplateException(line, "len of type " + kind(v));
        };
    }

    private static int toIndex(final Object i, final int line) {
        if (i instanceof Number n && isInteger(n)) {
            return Math.toIntExact(n.longValue());
        }
        throw new GoTemplateException(line, "cannot index with " + kind(i));
    }

    private static Object index(final Object v, final Object key, final int line) {
        return switch (v) {
            case List<?> l -> {
                final int i = toIndex(key, line);
                if (i < 0 || i >= l.size()) {
                    throw new GoTemplateException(line, "error calling index: index out of range: " + i);
                }
                yield l.get(i);
            }
            case Map<?, ?> m -> m.get(key instanceof CharSequence s ? s.toString() : key);
            case CharSequence s -> {
                final byte[] bytes = s.toString().getBytes(StandardCharsets.UTF_8);
                final int i = toIndex(key, line);
                if (i < 0 || i >= bytes.length) {
                    throw new GoTemplateException(line, "error calling index: index out of range: " + i);
                }
                yield (long) (bytes[i] & 0xff);
            }
            case null -> throw new GoTemplateException(line, "error calling index: index of untyped nil");
            default -> throw new GoTemplateException(line, "can't index item of type " + kind(v));
        };
    }

    private static Object slice(final List<Object> args, final int line) {
        final Object v = args.get(0);
        final int size = switch (v) {
            case List<?> l -> l.size();
            case CharSequence s -> s.length();
            default -> throw new GoTemplateException(line, "can't slice item of type " + kind(v));
        };
        final int from = args.size() > 1 ? toIndex(args.get(1), line) : 0;
        final int to = args.size() > 2 ? toIndex(args.get(2), line) : size;
        if (from < 0 || to < from || to > size) {
            throw new GoTemplateException(line, "error calling slice: index out of range: [" + from + ":" + to
                    + "] with length " + size);
        }
        return v instanceof List<?> l ? List.copyOf(l.subList(from, to)) : v.toString().substring(from, to);
    }

    /** Go's fmt.Sprint: a space between operands when neither is a string. */
    private static String sprint(final List<Object> args) {
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            if (i > 0 && !(args.get(i) instanceof CharSequence) && !(args.get(i - 1) instanceof CharSequence)) {
                b.append(' ');
            }
            b.append(Evaluator.format(args.get(i)));
        }
        return b.toString();
    }

    /** A small printf: %s %v %d %q %t %%. */
    private static String printf(final String fmt, final List<Object> args, final int line) {
        final StringBuilder b = new StringBuilder();
        int next = 0;
        for (int i = 0; i < fmt.length(); i++) {
            final char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                b.append(c);
                continue;
            }
            final char verb = fmt.charAt(++i);
            if (verb == '%') {
                b.append('%');
                continue;
            }
            if (next >= args.size()) {
                b.append("%!").append(verb).append("(MISSING)");
                continue;
            }
            final Object a = args.get(next++);
            switch (verb) {
                case 's', 'v', 'd', 't' -> b.append(Evaluator.format(a));
                case 'q' -> {
                    try {
                        b.append(JSON.writeValueAsString(Evaluator.format(a)));
                    } catch (JsonProcessingException e) {
                        throw new GoTemplateException(line, e.getOriginalMessage());
                    }
                }
                default -> throw new GoTemplateException(line, "printf verb %" + verb + " is not supported");
            }
        }
        return b.toString();
    }
}
