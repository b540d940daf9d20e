package io.strata.sharding;

import com.fasterxml.jackson.annotation.JsonFormat;

/** A half-open range {@code [start, end)} of rows, columns, layers, heads or elements; JSON {@code [start, end]}. */
@JsonFormat(shape = JsonFormat.Shape.ARRAY)
public record Span(long start, long end) {
    public Span {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("not a range: [" + start + ", " + end + ")");
        }
    }

    public static Span of(final long start, final long end) {
        return new Span(start, end);
    }

    public long length() { return end - start; }


    public boolean contains(final long i) { return i >= start && i < end; }

    public boolean overlaps(final Span o) { return start < o.end && o.start < end; }

    /** This span with both ends multiplied by {@code unit} (heads to elements). */
    public Span times(final long unit) { return new Span(start * unit, end * unit); }

    /** The r-th of n near-equal contiguous parts of [0, total): sizes differ by at most one. */
    public static Span part(final long total, final int r, final int n) {
        return new Span(total * r / n, total * (r + 1) / n);
    }

    @Override
    public String toString() { return "[" + start + ", " + end + ")"; }
}
