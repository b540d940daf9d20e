package io.strata.model.gguf;

import io.strata.model.tensor.GgmlType;

/**
 * One tensor's entry in the GGUF header. {@code shape} is in ggml order: shape[0] is the contiguous row length,
 * shape[1] the number of rows. {@code offset} is relative to the start of the data section.
 */
public record GgufTensorInfo(String name, long[] shape, GgmlType type, long offset, long byteSize) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Row length (ne0). */
    public long columns() { return shape[0]; }

    /** Number of rows: the product of every dimension after the first. */
    public long rows() {
        return shape[0] == 0 ? 0 : elementCount() / shape[0];
    }

    public String shapeString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(']').toString();
    }
}
