package io.strata.kernels;

import io.strata.model.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * A 2-D weight as it lies in the mapped model file: {@code rows} rows of {@code cols} elements of {@code type},
 * row r starting at byte r * rowBytes. Computing y = W x means y[r] = dot(row r, x).
 */
public record WeightMatrix(String name, GgmlType type, MemorySegment data, int rows, int cols) {

    public long rowBytes() {
        return type.byteSize(cols);
    }
}
