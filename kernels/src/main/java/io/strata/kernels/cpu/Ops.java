package io.strata.kernels.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * The element-wise and reduction operations of a transformer layer, in float32 with ggml's CPU numerics
 * (formats.md 3.5, 3.6, 4.3) so that results agree with llama.cpp to the last bits where that is cheap.
 * Pure functions over array ranges; nothing here allocates.
 */
public final class Ops {
    private Ops() {}

    /** out = (x / rms(x)) * weight. Sum of squares in double, as ggml_compute_forward_rms_norm_f32. */
    public static void rmsNorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            sum += v * v;
        }
        float mean = (float) (sum / n);
        float scale = 1f / (float) Math.sqrt(mean + eps);
        for (int i = 0; i < n; i++) {
            float y = x[xOff + i] * scale;
            out[outOff + i] = y * weight[i];
        }
    }

    /**
     * Dot product with ggml_vec_dot_f32's AVX2 summation order: 4 x 8-lane FMA accumulators over whole 32-element
     * chunks (element i goes to accumulator (i/8)%4, lane i%8), reduced as GGML_F32x8_REDUCE ((acc0 + acc2) +
     * (acc1 + acc3) lane-wise, then lane l + lane l + 4, then (t0 + t1) + (t2 + t3)); leftovers added in order,
     * unfused: the attention goldens get worse with fused leftovers (checked on stories260K-F16/BF16, whose head
     * dimension of 8 is all leftovers). Attention's scores and weighted values: 256-bit vectors, as ggml's own
     * accumulators, so each lane is the same FMA chain as before, 8 at a time.
     */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int whole = n & ~31;
        float sum = 0f;
        if (whole > 0) {
            FloatVector acc0 = FloatVector.zero(VectorLanes.FLOATS);
            FloatVector acc1 = acc0;
            FloatVector acc2 = acc0;
            FloatVector acc3 = acc0;
            for (int c = 0; c < whole; c += 32) {
                acc0 = FloatVector.fromArray(VectorLanes.FLOATS, a, aOff + c)
                        .fma(FloatVector.fromArray(VectorLanes.FLOATS, b, bOff + c), acc0);
                acc1 = FloatVector.fromArray(VectorLanes.FLOATS, a, aOff + c + 8)
                        .fma(FloatVector.fromArray(VectorLanes.FLOATS, b, bOff + c + 8), acc1);
                acc2 = FloatVector.fromArray(VectorLanes.FLOATS, a, aOff + c + 16)
                        .fma(FloatVector.fromArray(VectorLanes.FLOATS, b, bOff + c + 16), acc2);
                acc3 = FloatVector.fromArray(VectorLanes.FLOATS, a, aOff + c + 24)
                        .fma(FloatVector.fromArray(VectorLanes.FLOATS, b, bOff + c + 24), acc3);
            }
            FloatVector r = acc0.add(acc2).add(acc1.add(acc3));
            FloatVector t = r.add(r.rearrange(VectorLanes.HIGH_HALF));
            sum = (t.lane(0) + t.lane(1)) + (t.lane(2) + t.lane(3));
        }
        for (int i = whole; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** ggml_v_expf: the 8-wide vector exp of ggml's AVX2 build, one lane at a time (formats.md 3.6). */
    public static float expf(float x) {
        float z = Math.fma(x, 0x1.715476p+0f, 0x1.8p23f);
        float n = z - 0x1.8p23f;
        float b = Math.fma(-n, 0x1.7f7d1cp-20f, Math.fma(-n, 0x1.62e4p-1f, x));
        int e = Float.floatToRawIntBits(z) << 23;
        float k = Float.intBitsToFloat(e + Float.floatToRawIntBits(1f));
        float u = b * b;
        float j = Math.fma(Math.fma(Math.fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, Math.fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u, 0x1.ffffecp-1f * b);
        if (Math.abs(n) <= 126f) {
            return Math.fma(j, k, k);
        }
        int g = n <= 0 ? 0x82000000 : 0;
        float s1 = Float.intBitsToFloat(g + 0x7f000000);
        float s2 = Float.intBitsToFloat(e - g);
        return Math.abs(n) > 192f ? s1 * s1 : Math.fma(s2, j, s2) * s1;
    }

    /** libm-style exp used by ggml for remainders that do not fill an 8-wide vector. */
    static float libmExpf(float x) {
        return (float) Math.exp(x);
    }

    /** SiLU in place: x / (1 + exp(-x)), vector exp for whole groups of 8 as ggml_vec_silu_f32. */
    public static void siluTimes(float[] gate, int gOff, float[] up, int uOff, int n) {
        int whole = n & ~7;
        for (int i = 0; i < n; i++) {
            float x = gate[gOff + i];
            float e = i < whole ? expf(-x) : libmExpf(-x);
            gate[gOff + i] = (x / (1f + e)) * up[uOff + i];
        }
    }

    /**
     * Soft-max of {@code x[off..off+n)} scaled by {@code scale}, only the first {@code valid} entries unmasked
     * (the rest get probability 0, as ggml's -inf mask does). Exps in groups of 8 are summed as float then added
     * into a double, as ggml_vec_soft_max_f32.
     */
    public static void softmax(float[] x, int off, int n, int valid, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < valid; i++) {
            float v = x[off + i] * scale;
            x[off + i] = v;
            max = Math.max(max, v);
        }
        double sum = 0;
        int whole = n & ~7;
        int i = 0;
        for (; i < whole; i += 8) {
            for (int l = 0; l < 8; l++) {
                int idx = i + l;
                x[off + idx] = idx < valid ? expf(x[off + idx] - max) : 0f;
            }
            sum += hsum8(x, off + i);
        }
        for (; i < n; i++) {
            float e = i < valid ? libmExpf(x[off + i] - max) : 0f;
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int k = 0; k < n; k++) {
            x[off + k] *= inv;
        }
    }

    /** hsum8 of a[o..o+8) = ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7)). */
    public static float hsum8(float[] a, int o) {
        return ((a[o] + a[o + 4]) + (a[o + 2] + a[o + 6])) + ((a[o + 1] + a[o + 5]) + (a[o + 3] + a[o + 7]));
    }

    /** y += x over n elements. */
    public static void add(float[] y, int yOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += x[xOff + i];
        }
    }
}
