package io.strata.model.safetensors;

import java.util.Arrays;

/**
 * One tensor's header entry: its dtype, its shape in PyTorch order (the last dimension is contiguous) and its
 * bytes {@code [begin, end)} relative to the start of the data section.
 */
public record SafetensorsTensor(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long byteSize() {
        return end - begin;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
