package io.strata.kernels.cpu;

import io.strata.kernels.WeightMatrix;
import io.strata.model.tensor.Dequantizer;

/** Row lookups that widen one weight row to float (the token embedding: ggml's get_rows). */
public final class Dequantize {
    private Dequantize() {}

    /** dst[off .. off+cols) = row {@code row} of w. */
    public static void row(WeightMatrix w, int row, float[] dst, int off) {
        Dequantizer.dequantize(w.type(), w.data(), row * w.rowStride(), dst, off, w.cols());
    }
}
