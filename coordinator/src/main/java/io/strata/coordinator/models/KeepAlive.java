package io.strata.coordinator.models;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.coordinator.api.ApiException;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long a model stays loaded after its last request, as Ollama's {@code keep_alive} says it: a duration in Go's
 * syntax ({@code "5m"}, {@code "1h30m"}, {@code "90s"}, {@code "0"}) or a number of seconds; negative means for ever,
 * 0 means unload as soon as the request ends.
 */
public record KeepAlive(long nanos) {
    public static final KeepAlive FOREVER = new KeepAlive(-1);
    public static final KeepAlive ZERO = new KeepAlive(0);
    /** Ollama's default ({@code OLLAMA_KEEP_ALIVE} unset). */
    public static final KeepAlive OLLAMA_DEFAULT = new KeepAlive(5L * 60 * 1_000_000_000L);

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|\u00b5s|ms|s|m|h)");

    public KeepAlive {
        if (nanos < 0) {
            nanos = -1;
        }
    }

    public boolean forever() { return nanos < 0; }

    public boolean zero() { return nanos == 0; }

    /**
     * Go's {@code time.ParseDuration}, or (as {@code OLLAMA_KEEP_ALIVE} also takes) a plain number of seconds.
     *
     * @throws IllegalArgumentException naming the text when it is neither
     */
    public static KeepAlive parse(String text) {
        String t = text.strip();
        if (t.matches("[-+]?\\d+(\\.\\d+)?")) {
            return seconds(new BigDecimal(t));
        }
        boolean negative = t.startsWith("-");
        String body = t.startsWith("-") || t.startsWith("+") ? t.substring(1) : t;
        if (body.equals("0")) {
            return ZERO;
        }
        Matcher m = PART.matcher(body);
        int at = 0;
        BigDecimal total = BigDecimal.ZERO;
        while (at < body.length() && m.find(at) && m.start() == at) {
            BigDecimal unit = switch (m.group(2)) {
                case "ns" -> BigDecimal.ONE;
                case "us", "\u00b5s" -> BigDecimal.valueOf(1_000L);
                case "ms" -> BigDecimal.valueOf(1_000_000L);
                case "s" -> BigDecimal.valueOf(1_000_000_000L);
                case "m" -> BigDecimal.valueOf(60_000_000_000L);
                default -> BigDecimal.valueOf(3_600_000_000_000L);
            };
            total = total.add(new BigDecimal(m.group(1).endsWith(".") ? m.group(1) + "0" : m.group(1)).multiply(unit));
            at = m.end();
        }
        if (body.isEmpty() || at != body.length()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 5m, 1h30m, 90s, 0, -1)");
        }
        return negative ? FOREVER : new KeepAlive(clamp(total));
    }

    /** A request's {@code keep_alive}: a number of seconds or a duration string; null when absent. */
    public static KeepAlive fromJson(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isNumber()) {
            return seconds(node.decimalValue());
        }
        if (node.isTextual()) {
            try {
                return parse(node.textValue());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(field, "'" + field + "': " + e.getMessage());
            }
        }
        throw ApiException.badRequest(field, "'" + field + "' must be a duration string (5m, 1h, 0) or a number of seconds");
    }

    private static KeepAlive seconds(BigDecimal s) {
        return s.signum() < 0 ? FOREVER : new KeepAlive(clamp(s.multiply(BigDecimal.valueOf(1_000_000_000L))));
    }

    /** Beyond a long of nanoseconds (292 years) is for ever. */
    private static long clamp(BigDecimal nanos) {
        return nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) >= 0 ? -1 : nanos.longValue();
    }

    @Override
    public String toString() {
        return forever() ? "forever" : nanos % 1_000_000_000L == 0 ? nanos / 1_000_000_000L + "s" : nanos + "ns";
    }
}
