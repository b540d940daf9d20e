package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;

import static io.strata.model.tensor.LittleEndian.FLOAT;
import static io.strata.model.tensor.LittleEndian.SHORT;
import static java.lang.Math.fma;

/**
 * The dot products llama.cpp computes for a batch of two or more tokens (prompt processing) where it hands the
 * matrix product to llamafile's tinyBLAS instead of vec_dot (formats.md 3.4, "Batches"): on AVX2 one 8-lane
 * float accumulator per (row, token), FMA'd along the row, then the same horizontal sum as hsum8. F32 and F16
 * (activations rounded to F16, as for a single token) use it for rows of whole 8-element groups; IQ4_NL takes
 * Q8_0 activations with one accumulator where vec_dot alternates two. Q8_0, Q4_0 and Q5_0 batches give the same bits as vec_dot,
 * so they need nothing here.
 */
final class BatchedDots {
    private BatchedDots() {
    }

    static float f32(MemorySegment w, long row, float[] x, int xOffset, int n) {
        return Lanes.hsum8(f32Lane(w, row, x, xOffset, n, 0), f32Lane(w, row, x, xOffset, n, 1),
                f32Lane(w, row, x, xOffset, n, 2), f32Lane(w, row, x, xOffset, n, 3),
                f32Lane(w, row, x, xOffset, n, 4), f32Lane(w, row, x, xOffset, n, 5),
                f32Lane(w, row, x, xOffset, n, 6), f32Lane(w, row, x, xOffset, n, 7));
    }

    private static float f32Lane(MemorySegment w, long row, float[] x, int xOffset, int n, int lane) {
        float acc = 0;
        for (int i = lane; i < n; i += 8) {
            acc = fma(w.get(FLOAT, row + 4L * i), x[xOffset + i], acc);
        }
        return acc;
    }

    static float f16(MemorySegment w, long row, float[] x, int xOffset, int n) {
        return Lanes.hsum8(f16Lane(w, row, x, xOffset, n, 0), f16Lane(w, row, x, xOffset, n, 1),
                f16Lane(w, row, x, xOffset, n, 2), f16Lane(w, row, x, xOffset, n, 3),
                f16Lane(w, row, x, xOffset, n, 4), f16Lane(w, row, x, xOffset, n, 5),
                f16Lane(w, row, x, xOffset, n, 6), f16Lane(w, row, x, xOffset, n, 7));
    }

    private static float f16Lane(MemorySegment w, long row, float[] x, int xOffset, int n, int lane) {
        float acc = 0;
        for (int i = lane; i < n; i += 8) {
            acc = fma(Half.f16ToF32(w.get(SHORT, row + 2L * i)), x[xOffset + i], acc);
        }
        return acc;
    }

    static float iq4_nl(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int b = 0; b < n / 32; b++) {
            long block = row + 18L * b;
            int p = xOffset + 32 * b;
            float d = LittleEndian.f16(w, block) * dy[p / 32];
            int w0 = LittleEndian.i32(w, block + 2);
            int w1 = LittleEndian.i32(w, block + 6);
            int w2 = LittleEndian.i32(w, block + 10);
            int w3 = LittleEndian.i32(w, block + 14);
            a0 = fma(d, Lanes.dot4Iq4nl(w0, y, p), a0);
            a1 = fma(d, Lanes.dot4Iq4nl(w1, y, p + 4), a1);
            a2 = fma(d, Lanes.dot4Iq4nl(w2, y, p + 8), a2);
            a3 = fma(d, Lanes.dot4Iq4nl(w3, y, p + 12), a3);
            a4 = fma(d, Lanes.dot4Iq4nl(w0 >>> 4, y, p + 16), a4);
            a5 = fma(d, Lanes.dot4Iq4nl(w1 >>> 4, y, p + 20), a5);
            a6 = fma(d, Lanes.dot4Iq4nl(w2 >>> 4, y, p + 24), a6);
            a7 = fma(d, Lanes.dot4Iq4nl(w3 >>> 4, y, p + 28), a7);
        }
        return Lanes.hsum8(a0, a1, a2, a3, a4, a5, a6, a7);
    }
}
