package io.strata.kernels.cpu;

import io.strata.kernels.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** y = W x for a batch of activation rows: out[t * outStride + r] = dot(row r of W, row t of x). */
public final class MatMul {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private MatMul() {}

    public static void apply(WeightMatrix w, Activations x, int rows, float[] out, int outStride) {
        switch (w.type()) {
            case F32 -> f32(w, x, rows, out, outStride);
            default -> throw new UnsupportedOperationException("matmul for " + w.type());
        }
    }

    private static void f32(WeightMatrix w, Activations x, int rows, float[] out, int outStride) {
        int n = w.cols();
        float[] row = new float[n];
        MemorySegment data = w.data();
        for (int r = 0; r < w.rows(); r++) {
            MemorySegment.copy(data, F32, (long) r * n * 4, row, 0, n);
            for (int t = 0; t < rows; t++) {
                out[t * outStride + r] = Ops.dot(row, 0, x.values(), t * n, n);
            }
        }
    }
}
