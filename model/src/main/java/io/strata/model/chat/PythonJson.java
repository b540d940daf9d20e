package io.strata.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code json.dumps} as transformers' {@code tojson} filter calls it: {@code ensure_ascii=False}, no key sorting,
 * separators {@code ", "}/{@code ": "} ({@code ","}/{@code ": "} once {@code indent} is given), floats in Python's
 * {@code repr}. Jinjava's own {@code tojson} uses Jackson's compact form, which changes the prompt text of tool
 * calling templates.
 */
final class PythonJson {
    private PythonJson() {
    }

    /**
     * @param indent    null for one line, else spaces per level (Python's {@code indent=n})
     * @param sortKeys  Python's {@code sort_keys}
     */
    static String dumps(final Object value, final Integer indent, final boolean sortKeys) {
        final StringBuilder out = new StringBuilder();
        write(out, value, indent, sortKeys, 0);
        return out.toString();
    }

    private static void write(final StringBuilder out, final Object value, final Integer indent,
                              final boolean sortKeys, final int depth) {
        switch (value) {
            case null -> out.append("null");
            case CharSequence text -> quote(out, text.toString());
            case Boolean b -> out.append(b ? "true" : "false");
            case Double d -> out.append(floatRepr(d));
            case Float f -> out.append(floatRepr(f.doubleValue()));
            case BigDecimal d -> out.append(floatRepr(d.doubleValue()));
            case Number n -> out.append(n);
            case Map<?, ?> map -> writeObject(out, map, indent, sortKeys, depth);
            case Iterable<?> items -> writeArray(out, items, indent, sortKeys, depth);
            default -> {
                if (value.getClass().isArray()) {
                    final List<Object> items = new ArrayList<>();
                    for (int i = 0; i < Array.getLength(value); i++) {
                        items.add(Array.get(value, i));
                    }
                    writeArray(out, items, indent, sortKeys, depth);
                } else {
                    quote(out, value.toString());
                }
            }
        }
    }

    private static void writeObject(final StringBuilder out, final Map<?, ?> map, final Integer indent,
                                    final boolean sortKeys, final int depth) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        final List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
        if (sortKeys) {
            entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
        }
        out.append('{');
        boolean first = true;
        for (final Map.Entry<?, ?> entry : entries) {
            separate(out, first, indent, depth + 1);
            quote(out, String.valueOf(entry.getKey()));
            out.append(": ");
            write(out, entry.getValue(), indent, sortKeys, depth + 1);
            first = false;
        }
        close(out, indent, depth);
        out.append('}');
    }

    private static void writeArray(final StringBuilder out, final Iterable<?> items, final Integer indent,
                                   final boolean sortKeys, final int depth) {
        if (!items.iterator().hasNext()) {
            out.append("[]");
            return;
        }
        out.append('[');
        boolean first = true;
        for (final Object item : items) {
            separate(out, first, indent, depth + 1);
            write(out, item, indent, sortKeys, depth + 1);
            first = false;
        }
        close(out, indent, depth);
        out.append(']');
    }

    private static void separate(final StringBuilder out, final boolean first, final Integer indent, final int depth) {
        if (indent == null) {
            out.append(first ? "" : ", ");
        } else {
            out.append(first ? "\n" : ",\n").append(" ".repeat(indent * depth));
        }
    }

    private static void close(final StringBuilder out, final Integer indent, final int depth) {
        if (indent != null) {
            out.append('\n').append(" ".repeat(indent * depth));
        }
    }

    private static void quote(final StringBuilder out, final String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's float repr: shortest round-trip digits, scientific below 1e-4 and from 1e16 on. */
    static String floatRepr(final double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        // Java's Double.toString gives the shortest digits that round-trip, the same digits Python's repr picks.
        final BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        final String digits = exact.unscaledValue().toString();
        final int exponent = digits.length() - 1 - exact.scale(); // d = digits[0].digits[1..] x 10^exponent
        final String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            final String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "")
                    + Math.abs(exponent);
        }
        final String plain = exact.toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }

    /** The {@code tojson} filter: {@code x | tojson}, {@code x | tojson(indent=4)}, {@code sort_keys=true}. */
    static final class ToJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(final Object var, final JinjavaInterpreter interpreter, final String... args) {
            return dumps(var, args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null, false);
        }

        @Override
        public Object filter(final Object var, final JinjavaInterpreter interpreter, final Object[] args,
                             final Map<String, Object> kwargs) {
            Object indent = kwargs.get("indent");
            if (indent == null && args.length > 0) {
                indent = args[0];
            }
            final Object sortKeys = kwargs.get("sort_keys");
            return dumps(var, indent == null ? null : ((Number) toNumber(indent)).intValue(),
                    Boolean.TRUE.equals(sortKeys));
        }

        private static Object toNumber(final Object value) {
            return value instanceof Number ? value : Long.valueOf(value.toString());
        }
    }
}
