package io.strata.kernels.cpu;

import io.strata.kernels.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Row lookups that widen one weight row to float (the token embedding). */
public final class Dequantize {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Dequantize() {}

    /** dst[off .. off+cols) = row {@code row} of w. */
    public static void row(WeightMatrix w, int row, float[] dst, int off) {
        switch (w.type()) {
            case F32 -> MemorySegment.copy(w.data(), F32, row * w.rowBytes(), dst, off, w.cols());
            default -> throw new UnsupportedOperationException("dequantize " + w.type());
        }
    }
}
