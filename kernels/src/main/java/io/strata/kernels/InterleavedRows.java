package io.strata.kernels;

import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

/**
 * A matrix's rows copied, off the heap, into a layout of a native kernel's own (Q4_0 rows interleaved sixteen at a
 * time, so that one 512-bit load holds a quant dword of every row), as llama.cpp copies its Q4_0 matrices at load.
 * The copy is made the first time a product asks for it, so a pipeline stage copies only the layers it runs, and
 * lives in the model's arena; where the machine has no room for it, there is none ({@link #segment()} is null) and
 * the products read the mapped file. A row slice of the matrix whose ends fall on groups of sixteen rows is a slice
 * of the same copy.
 */
public final class InterleavedRows {
    /** Rows per group of the layout: the lanes of a 512-bit vector of int32 sums. */
    public static final int GROUP_ROWS = 16;

    private final Supplier<MemorySegment> make;
    private final int groups;
    private volatile boolean made;
    private MemorySegment copy;

    /** {@code make} copies the {@code rows} rows (a multiple of {@link #GROUP_ROWS}) once, when first asked. */
    public InterleavedRows(int rows, Supplier<MemorySegment> make) {
        if (rows % GROUP_ROWS != 0) {
            throw new IllegalArgumentException(rows + " rows are not whole groups of " + GROUP_ROWS);
        }
        this.groups = rows / GROUP_ROWS;
        this.make = make;
    }

    /** The copy, made on the first call (by whichever thread asks first; the others wait for it), or null. */
    public MemorySegment segment() {
        if (!made) {
            synchronized (this) {
                if (!made) {
                    copy = make.get();
                    made = true;
                }
            }
        }
        return copy;
    }

    /** Rows [from, to) of the matrix, or null when an end is not on a group boundary. */
    InterleavedRows rows(int from, int to) {
        if (from % GROUP_ROWS != 0 || to % GROUP_ROWS != 0) {
            return null;
        }
        int first = from / GROUP_ROWS;
        int count = (to - from) / GROUP_ROWS;
        return new InterleavedRows(to - from, () -> {
            MemorySegment all = segment();
            if (all == null) {
                return null;
            }
            long groupBytes = all.byteSize() / groups;
            return all.asSlice(first * groupBytes, count * groupBytes);
        });
    }
}
