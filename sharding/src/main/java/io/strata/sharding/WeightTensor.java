package io.strata.sharding;

import io.strata.model.tensor.GgmlType;

import java.util.Objects;

/**
 * A weight as GGUF stores it: row-major, {@code columns} elements per row (ggml's ne0, the input dimension of a
 * matrix, quantized in blocks along it) and {@code rows} rows (ne1 and up multiplied; 1 for a vector).
 */
public record WeightTensor(String name, GgmlType type, long columns, long rows) {
    public WeightTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (columns <= 0 || rows <= 0 || columns % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + ": " + rows + " rows of " + columns + " " + type
                    + " columns is not a whole number of blocks of " + type.blockSize());
        }
    }

    public long rowBytes() { return type.byteSize(columns); }

    public long bytes() { return Math.multiplyExact(rowBytes(), rows); }

    public long elements() { return Math.multiplyExact(columns, rows); }
}
