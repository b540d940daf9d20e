package io.strata.cluster.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of memory as an operator writes it: {@code 8GiB}, {@code 512MiB}, {@code 1.5GiB}, {@code 2GB}
 * (decimal units) or a plain byte count. Binary units (KiB, MiB, GiB, TiB) are powers of 1024, decimal ones
 * (KB, MB, GB, TB) powers of 1000.
 */
public record ByteSize(long bytes) {

    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([A-Za-z]*)");
    private static final long KIB = 1024L;
    private static final int MAX_TEXT_CHARS = 40;

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a byte size cannot be negative: " + bytes);
        }
    }

    /**
     * Parses {@code text}; the exception's message says what was wrong and which forms are accepted.
     */
    public static ByteSize parse(final String text) {
        if (text.length() > MAX_TEXT_CHARS) {
            throw new IllegalArgumentException("a memory size of " + text.length() + " characters is not a memory size"
                    + " (write e.g. 8GiB, 512MiB or a byte count)");
        }
        final Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text
                    + "' is not a memory size (write e.g. 8GiB, 512MiB or a byte count)");
        }
        final long unit = unitBytes(m.group(2));
        if (unit == 0) {
            throw new IllegalArgumentException("'" + m.group(2)
                    + "' is not a memory unit (use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)");
        }
        final BigDecimal value = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
        if (value.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        if (value.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
        }
        return new ByteSize(value.longValueExact());
    }

    private static long unitBytes(final String unit) {
        return switch (unit.toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1L;
            case "kib" -> KIB;
            case "mib" -> KIB * KIB;
            case "gib" -> KIB * KIB * KIB;
            case "tib" -> KIB * KIB * KIB * KIB;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            default -> 0L;
        };
    }

    /** The largest binary unit that divides the size exactly, e.g. {@code 8GiB}, {@code 1536MiB}, {@code 100B}. */
    @Override
    public String toString() {
        final String[] units = {"TiB", "GiB", "MiB", "KiB"};
        long scale = KIB * KIB * KIB * KIB;
        for (final String u : units) {
            if (bytes != 0 && bytes % scale == 0) {
                return bytes / scale + u;
            }
            scale /= KIB;
        }
        return bytes + "B";
    }
}
