package io.strata.kernels;

import io.strata.model.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * A 2-D weight as it lies in the mapped model file: {@code rows} rows of {@code cols} elements of {@code type},
 * row r starting at byte r * rowStride of {@code data}. Computing y = W x means y[r] = dot(row r, x). A whole
 * tensor has rowStride = rowBytes; a tensor-parallel slice is a view of the same mapping, either some rows
 * ({@link #rows(int, int)}) or, in every row, some whole blocks of columns ({@link #columns(int, int)}).
 * {@code interleaved}, where not null, is a copy of the rows in a native kernel's layout ({@link InterleavedRows}),
 * which products take in place of {@code data} where that kernel runs.
 */
public record WeightMatrix(String name, GgmlType type, MemorySegment data, int rows, int cols, long rowStride,
                           InterleavedRows interleaved) {

    public WeightMatrix(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        this(name, type, data, rows, cols, type.byteSize(cols));
    }

    public WeightMatrix(String name, GgmlType type, MemorySegment data, int rows, int cols, long rowStride) {
        this(name, type, data, rows, cols, rowStride, null);
    }

    /** This matrix with {@code copy} as its interleaved rows. */
    public WeightMatrix withInterleaved(InterleavedRows copy) {
        return new WeightMatrix(name, type, data, rows, cols, rowStride, copy);
    }

    public long rowBytes() {
        return type.byteSize(cols);
    }

    /** Rows {@code [from, to)}: the output slice of a column-parallel projection. */
    public WeightMatrix rows(int from, int to) {
        if (from < 0 || to > rows || from >= to) {
            throw new IllegalArgumentException(name + ": rows [" + from + ", " + to + ") outside its " + rows + " rows");
        }
        long bytes = (to - from - 1) * rowStride + rowBytes();
        return new WeightMatrix(name + "[rows " + from + ".." + to + ")", type, data.asSlice(from * rowStride, bytes),
                to - from, cols, rowStride, interleaved == null ? null : interleaved.rows(from, to));
    }

    /**
     * Columns {@code [from, to)} of every row: the input slice of a row-parallel projection (its products read the
     * file's rows: an interleaved copy holds whole rows). Quantized rows split
     * only between blocks, so both ends must be multiples of the type's block size.
     */
    public WeightMatrix columns(int from, int to) {
        if (from < 0 || to > cols || from >= to) {
            throw new IllegalArgumentException(name + ": columns [" + from + ", " + to + ") outside its " + cols + " columns");
        }
        if (from % type.blockSize() != 0 || to % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": columns [" + from + ", " + to + ") do not fall on the "
                    + type.blockSize() + "-element blocks of " + type);
        }
        long start = type.byteSize(from);
        long bytes = (rows - 1) * rowStride + type.byteSize(to - from);
        return new WeightMatrix(name + "[cols " + from + ".." + to + ")", type, data.asSlice(start, bytes), rows,
                to - from, rowStride);
    }
}
