package io.strata.sharding;

import io.strata.model.tensor.GgmlType;

import java.util.Objects;

/**
 * The part of one GGUF tensor a rank maps: rows {@code [r0, r1)} and, of each of those rows, columns
 * {@code [c0, c1)}. A row cut has all columns; a column cut has all rows; a whole tensor has both complete.
 * Columns of a quantized type start and end on block boundaries, so the slice of each row is a whole number of
 * blocks: byte offset of (row, c0) = row x rowBytes + (c0 / blockSize) x typeSize.
 *
 * @param bytes the slice's size as stored in the file
 */
public record TensorSlice(String tensor, GgmlType type, Role role, Span rows, Span columns, long bytes) {

    /** Why a rank holds the slice. */
    public enum Role {
        /** This rank alone holds these elements in its replica. */
        OWNED,
        /** Every rank of the stage holds a copy (norms, q/k norms, rope factors). */
        REPLICATED,
        /**
         * The last stage's vocabulary rows of {@code token_embd.weight} used as the output head when the model
         * has no {@code output.weight}: a second view of elements the first stage owns.
         */
        TIED_OUTPUT
    }

    public TensorSlice {
        Objects.requireNonNull(tensor, "tensor");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(rows, "rows");
        Objects.requireNonNull(columns, "columns");
    }

    /** The slice of {@code t} with these rows and columns, sized by its type. */
    static TensorSlice of(final WeightTensor t, final Role role, final Span rows, final Span columns) {
        return new TensorSlice(t.name(), t.type(), role, rows, columns,
                Math.multiplyExact(rows.length(), t.type().byteSize(columns.length())));
    }

    public long elements() { return rows.length() * columns.length(); }

    /** Bytes of one row of the slice: its columns as whole blocks of its type. */
    public long bytesPerRow() { return type.byteSize(columns.length()); }

    /**
     * Where the slice's part of {@code row} starts, in bytes from the tensor's first byte, for a tensor
     * {@code tensorColumns} wide. A row cut ({@code columns} complete) is the one contiguous range from
     * {@code byteOffset(rows.start)} of {@link #bytes()}; a column cut is {@code rows.length()} ranges of
     * {@link #bytesPerRow()}, one per row.
     */
    public long byteOffset(final long row, final long tensorColumns) {
        if (!rows.contains(row)) {
            throw new IllegalArgumentException("row " + row + " is not in " + tensor + "'s slice " + rows);
        }
        return Math.addExact(Math.multiplyExact(row, type.byteSize(tensorColumns)), type.byteSize(columns.start()));
    }
}
