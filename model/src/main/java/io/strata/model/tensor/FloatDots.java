package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;

import static io.strata.model.tensor.LittleEndian.FLOAT;
import static io.strata.model.tensor.LittleEndian.SHORT;
import static java.lang.Math.fma;

/**
 * ggml's float dot products in their AVX2 order (formats.md 3.5). For i below n rounded down to 32, element i
 * goes into accumulator (i/8) mod 4, lane i mod 8: 32 independent sums. Each lane function below computes the
 * four accumulators of one lane l (elements ≡ l, l + 8, l + 16, l + 24 mod 32) and combines them the way
 * GGML_F32x8_REDUCE does, v_l = (acc0 + acc2) + (acc1 + acc3); only the final cross-lane sums differ per kernel.
 * Going lane by lane keeps 4 accumulators live instead of 32 and allocates nothing.
 */
final class FloatDots {
    private FloatDots() {
    }

    /**
     * ggml_vec_dot_f32 on two arrays: lanes reduced as (t0 + t1) + (t2 + t3) with t_l = v_l + v_{l+4}; leftovers
     * added in float with {@code sumf += x*y}, which GCC contracts to an FMA (formats.md 3.6).
     */
    static float f32(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int np = n & ~31;
        float t0 = f32Lane(a, aOffset, b, bOffset, np, 0) + f32Lane(a, aOffset, b, bOffset, np, 4);
        float t1 = f32Lane(a, aOffset, b, bOffset, np, 1) + f32Lane(a, aOffset, b, bOffset, np, 5);
        float t2 = f32Lane(a, aOffset, b, bOffset, np, 2) + f32Lane(a, aOffset, b, bOffset, np, 6);
        float t3 = f32Lane(a, aOffset, b, bOffset, np, 3) + f32Lane(a, aOffset, b, bOffset, np, 7);
        float sum = (t0 + t1) + (t2 + t3);
        for (int i = np; i < n; i++) {
            sum = fma(a[aOffset + i], b[bOffset + i], sum);
        }
        return sum;
    }

    private static float f32Lane(float[] a, int aOffset, float[] b, int bOffset, int np, int l) {
        float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (int i = l; i < np; i += 32) {
            c0 = fma(a[aOffset + i], b[bOffset + i], c0);
            c1 = fma(a[aOffset + i + 8], b[bOffset + i + 8], c1);
            c2 = fma(a[aOffset + i + 16], b[bOffset + i + 16], c2);
            c3 = fma(a[aOffset + i + 24], b[bOffset + i + 24], c3);
        }
        return (c0 + c2) + (c1 + c3);
    }

    /** ggml_vec_dot_f32 with the weight row read from a segment, in the order of the array version above. */
    static float f32(MemorySegment w, long row, float[] x, int xOffset, int n) {
        int np = n & ~31;
        float t0 = f32Lane(w, row, x, xOffset, np, 0) + f32Lane(w, row, x, xOffset, np, 4);
        float t1 = f32Lane(w, row, x, xOffset, np, 1) + f32Lane(w, row, x, xOffset, np, 5);
        float t2 = f32Lane(w, row, x, xOffset, np, 2) + f32Lane(w, row, x, xOffset, np, 6);
        float t3 = f32Lane(w, row, x, xOffset, np, 3) + f32Lane(w, row, x, xOffset, np, 7);
        float sum = (t0 + t1) + (t2 + t3);
        for (int i = np; i < n; i++) {
            sum = fma(w.get(FLOAT, row + 4L * i), x[xOffset + i], sum);
        }
        return sum;
    }

    private static float f32Lane(MemorySegment w, long row, float[] x, int xOffset, int np, int l) {
        float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (int i = l; i < np; i += 32) {
            long at = row + 4L * i;
            c0 = fma(w.get(FLOAT, at), x[xOffset + i], c0);
            c1 = fma(w.get(FLOAT, at + 32), x[xOffset + i + 8], c1);
            c2 = fma(w.get(FLOAT, at + 64), x[xOffset + i + 16], c2);
            c3 = fma(w.get(FLOAT, at + 96), x[xOffset + i + 24], c3);
        }
        return (c0 + c2) + (c1 + c3);
    }

    /**
     * ggml_vec_dot_f16: the F32 structure on widened halves (each product of two halves is exact in f32); the
     * reduced float is widened to double, leftovers are added in double, and the result is cast to float.
     * {@code x} holds the activations already rounded to F16.
     */
    static float f16(MemorySegment w, long row, float[] x, int xOffset, int n) {
        int np = n & ~31;
        float t0 = f16Lane(w, row, x, xOffset, np, 0) + f16Lane(w, row, x, xOffset, np, 4);
        float t1 = f16Lane(w, row, x, xOffset, np, 1) + f16Lane(w, row, x, xOffset, np, 5);
        float t2 = f16Lane(w, row, x, xOffset, np, 2) + f16Lane(w, row, x, xOffset, np, 6);
        float t3 = f16Lane(w, row, x, xOffset, np, 3) + f16Lane(w, row, x, xOffset, np, 7);
        double sum = (t0 + t1) + (t2 + t3);
        for (int i = np; i < n; i++) {
            sum += Half.f16ToF32(w.get(SHORT, row + 2L * i)) * x[xOffset + i];
        }
        return (float) sum;
    }

    private static float f16Lane(MemorySegment w, long row, float[] x, int xOffset, int np, int l) {
        float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (int i = l; i < np; i += 32) {
            long at = row + 2L * i;
            c0 = fma(Half.f16ToF32(w.get(SHORT, at)), x[xOffset + i], c0);
            c1 = fma(Half.f16ToF32(w.get(SHORT, at + 16)), x[xOffset + i + 8], c1);
            c2 = fma(Half.f16ToF32(w.get(SHORT, at + 32)), x[xOffset + i + 16], c2);
            c3 = fma(Half.f16ToF32(w.get(SHORT, at + 48)), x[xOffset + i + 24], c3);
        }
        return (c0 + c2) + (c1 + c3);
    }

    /**
     * ggml_vec_dot_bf16 (AVX2 branch): four accumulators updated with mul then add (a product of two bf16 is exact
     * in f32, so this equals an FMA), reduced (c0 + c2) + (c1 + c3) per lane, then hsum_float_8 across lanes,
     * which pairs lanes differently from the F32 reduce; the float is added into a double, leftovers in double.
     */
    static float bf16(MemorySegment w, long row, float[] x, int xOffset, int n) {
        int np = n & ~31;
        double sum = Lanes.hsum8(
                bf16Lane(w, row, x, xOffset, np, 0), bf16Lane(w, row, x, xOffset, np, 1),
                bf16Lane(w, row, x, xOffset, np, 2), bf16Lane(w, row, x, xOffset, np, 3),
                bf16Lane(w, row, x, xOffset, np, 4), bf16Lane(w, row, x, xOffset, np, 5),
                bf16Lane(w, row, x, xOffset, np, 6), bf16Lane(w, row, x, xOffset, np, 7));
        for (int i = np; i < n; i++) {
            sum += Half.bf16ToF32(w.get(SHORT, row + 2L * i)) * x[xOffset + i];
        }
        return (float) sum;
    }

    private static float bf16Lane(MemorySegment w, long row, float[] x, int xOffset, int np, int l) {
        float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (int i = l; i < np; i += 32) {
            long at = row + 2L * i;
            c0 += Half.bf16ToF32(w.get(SHORT, at)) * x[xOffset + i];
            c1 += Half.bf16ToF32(w.get(SHORT, at + 16)) * x[xOffset + i + 8];
            c2 += Half.bf16ToF32(w.get(SHORT, at + 32)) * x[xOffset + i + 16];
            c3 += Half.bf16ToF32(w.get(SHORT, at + 48)) * x[xOffset + i + 24];
        }
        return (c0 + c2) + (c1 + c3);
    }
}
