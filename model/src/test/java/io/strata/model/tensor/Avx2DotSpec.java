package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static java.lang.Math.fma;

/**
 * An independent, deliberately plain restatement of formats.md 2 and 3.4/3.5 for the tests: weight blocks are
 * decoded element by element into integers (quant, scale, min), the 8 int lanes are filled by the rule
 * lane = (e mod 32) / 4 into arrays, and the float steps of the 3.4 table are applied. It shares no code with the
 * kernels, so agreement bit for bit shows the kernels' bit twiddling implements the documented order.
 */
final class Avx2DotSpec {
    private static final byte[] T = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** One block as integers: value_e = d·scale_e·q_e − dmin·min_e (K) or q_e·d (+ m) (legacy). */
    record IntBlock(int[] q, int[] scale, int[] min, float d, float dmin, float m) {
    }

    private Avx2DotSpec() {
    }

    static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xFF;
    }

    static float f16(MemorySegment s, long o) {
        return Float.float16ToFloat(s.get(TestRows.SHORT, o));
    }

    /** Decodes one block of {@code type} at {@code o}, formula by formula from formats.md 2.1/2.2. */
    static IntBlock decode(GgmlType type, MemorySegment s, long o) {
        int n = type.blockSize();
        int[] q = new int[n];
        int[] sc = new int[n];
        int[] mn = new int[n];
        java.util.Arrays.fill(sc, 1);
        switch (type) {
            case Q4_0, Q4_1, IQ4_NL -> {
                long qs = type == GgmlType.Q4_1 ? o + 4 : o + 2;
                for (int e = 0; e < 32; e++) {
                    int b = u8(s, qs + e % 16);
                    int nib = e < 16 ? b & 15 : b >> 4;
                    q[e] = type == GgmlType.Q4_0 ? nib - 8 : type == GgmlType.IQ4_NL ? T[nib] : nib;
                }
                return new IntBlock(q, sc, mn, f16(s, o), 0, type == GgmlType.Q4_1 ? f16(s, o + 2) : 0);
            }
            case Q5_0, Q5_1 -> {
                boolean one = type == GgmlType.Q5_1;
                long qhAt = one ? o + 4 : o + 2;
                long qs = one ? o + 8 : o + 6;
                long qh = (u8(s, qhAt) | u8(s, qhAt + 1) << 8 | u8(s, qhAt + 2) << 16 | (long) u8(s, qhAt + 3) << 24);
                for (int e = 0; e < 32; e++) {
                    int b = u8(s, qs + e % 16);
                    int nib = e < 16 ? b & 15 : b >> 4;
                    int v = nib | (int) ((qh >> e) & 1) << 4;
                    q[e] = one ? v : v - 16;
                }
                return new IntBlock(q, sc, mn, f16(s, o), 0, one ? f16(s, o + 2) : 0);
            }
            case Q8_0 -> {
                for (int e = 0; e < 32; e++) {
                    q[e] = s.get(ValueLayout.JAVA_BYTE, o + 2 + e);
                }
                return new IntBlock(q, sc, mn, f16(s, o), 0, 0);
            }
            case Q2_K -> {
                for (int e = 0; e < 256; e++) {
                    int h = e / 128, j = (e % 128) / 32, l = e % 32;
                    q[e] = (u8(s, o + 16 + 32 * h + l) >> (2 * j)) & 3;
                    sc[e] = u8(s, o + e / 16) & 15;
                    mn[e] = u8(s, o + e / 16) >> 4;
                }
                return new IntBlock(q, sc, mn, f16(s, o + 80), f16(s, o + 82), 0);
            }
            case Q3_K -> {
                for (int e = 0; e < 256; e++) {
                    int h = e / 128, j = (e % 128) / 32, l = e % 32;
                    int low = (u8(s, o + 32 + 32 * h + l) >> (2 * j)) & 3;
                    boolean hi = ((u8(s, o + l) >> (4 * h + j)) & 1) != 0;
                    q[e] = low - (hi ? 0 : 4);
                    int k = e / 16;
                    int low4 = (u8(s, o + 96 + k % 8) >> (4 * (k / 8))) & 15;
                    int high2 = (u8(s, o + 96 + 8 + k % 4) >> (2 * (k / 4))) & 3;
                    sc[e] = (low4 | high2 << 4) - 32;
                }
                return new IntBlock(q, sc, mn, f16(s, o + 108), 0, 0);
            }
            case Q4_K, Q5_K -> {
                boolean five = type == GgmlType.Q5_K;
                long qs = five ? o + 48 : o + 16;
                for (int e = 0; e < 256; e++) {
                    int b = e / 32;
                    int byt = u8(s, qs + 32 * (e / 64) + e % 32);
                    q[e] = (e % 64) < 32 ? byt & 15 : byt >> 4;
                    if (five) {
                        q[e] += 16 * ((u8(s, o + 16 + e % 32) >> b) & 1);
                    }
                    long sb = o + 4;
                    if (b < 4) {
                        sc[e] = u8(s, sb + b) & 63;
                        mn[e] = u8(s, sb + b + 4) & 63;
                    } else {
                        sc[e] = (u8(s, sb + b + 4) & 15) | (u8(s, sb + b - 4) >> 6) << 4;
                        mn[e] = (u8(s, sb + b + 4) >> 4) | (u8(s, sb + b) >> 6) << 4;
                    }
                }
                return new IntBlock(q, sc, mn, f16(s, o), f16(s, o + 2), 0);
            }
            case Q6_K -> {
                for (int e = 0; e < 256; e++) {
                    int h = e / 128, g = (e % 128) / 32, l = e % 32;
                    int b = u8(s, o + 64 * h + 32 * (g & 1) + l);
                    int low4 = g < 2 ? b & 15 : b >> 4;
                    int high2 = (u8(s, o + 128 + 32 * h + l) >> (2 * g)) & 3;
                    q[e] = (low4 | high2 << 4) - 32;
                    sc[e] = s.get(ValueLayout.JAVA_BYTE, o + 192 + e / 16);
                }
                return new IntBlock(q, sc, mn, f16(s, o + 208), 0, 0);
            }
            default -> throw new IllegalArgumentException(type.toString());
        }
    }

    static float hsum8(float[] a) {
        return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
    }

    /** 8 lanes of Σ scale·q·y over one block, lane = (e mod 32)/4. */
    static int[] lanes(IntBlock blk, QuantizedActivations x, int p) {
        int[] lanes = new int[8];
        for (int e = 0; e < blk.q().length; e++) {
            lanes[(e % 32) / 4] += blk.scale()[e] * blk.q()[e] * x.quant(p + e);
        }
        return lanes;
    }

    /** The dot product of formats.md 3.4 (quantized) or 3.5 (float) for one row. */
    static float dot(GgmlType type, MemorySegment w, QuantizedActivations x, int xOff, int n) {
        return switch (type) {
            case F32, F16, BF16 -> floatDot(type, w, x, xOff, n);
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> kDot(type, w, x, xOff, n);
            default -> legacyDot(type, w, x, xOff, n);
        };
    }

    private static float legacyDot(GgmlType type, MemorySegment w, QuantizedActivations x, int xOff, int n) {
        float[] acc = new float[8];
        float[] acc2 = new float[8];
        float summs = 0;
        int nb = n / 32;
        int pairs = type == GgmlType.IQ4_NL ? nb / 2 * 2 : nb;
        for (int b = 0; b < pairs; b++) {
            IntBlock blk = decode(type, w, (long) b * type.typeSize());
            int p = xOff + 32 * b;
            int[] lanes = lanes(blk, x, p);
            float dy = x.scale(p / 32);
            float s = type == GgmlType.IQ4_NL ? dy * blk.d() : blk.d() * dy;
            float[] target = type == GgmlType.IQ4_NL && b % 2 == 1 ? acc2 : acc;
            for (int t = 0; t < 8; t++) {
                target[t] = fma(s, (float) lanes[t], target[t]);
            }
            if (type == GgmlType.Q4_1 || type == GgmlType.Q5_1) {
                summs = fma(blk.m(), x.blockSum(p / 32), summs);
            }
        }
        if (type != GgmlType.IQ4_NL) {
            return hsum8(acc) + summs;
        }
        float[] sum = new float[8];
        for (int t = 0; t < 8; t++) {
            sum[t] = acc[t] + acc2[t];
        }
        float sumf = hsum8(sum);
        if (nb % 2 == 1) {
            int b = nb - 1;
            IntBlock blk = decode(type, w, (long) b * type.typeSize());
            int p = xOff + 32 * b;
            int isum = 0;
            for (int lane : lanes(blk, x, p)) {
                isum += lane;
            }
            sumf = fma(x.scale(p / 32) * blk.d(), (float) isum, sumf);
        }
        return sumf;
    }

    /** The repacked Q4_0 GEMV: acc = fma(isum, dx·dy, acc) per block. */
    static float q4_0Repacked(MemorySegment w, QuantizedActivations x, int xOff, int n) {
        float acc = 0;
        for (int b = 0; b < n / 32; b++) {
            IntBlock blk = decode(GgmlType.Q4_0, w, 18L * b);
            int p = xOff + 32 * b;
            int isum = 0;
            for (int lane : lanes(blk, x, p)) {
                isum += lane;
            }
            acc = fma((float) isum, blk.d() * x.scale(p / 32), acc);
        }
        return acc;
    }

    private static float kDot(GgmlType type, MemorySegment w, QuantizedActivations x, int xOff, int n) {
        float[] acc = new float[8];
        float[] accm = new float[4];
        float summs = 0;
        for (int b = 0; b < n / 256; b++) {
            IntBlock blk = decode(type, w, (long) b * type.typeSize());
            int p = xOff + 256 * b;
            float yd = x.scale(p / 256);
            float d = yd * blk.d();
            float dmin = -yd * blk.dmin();
            int[] lanes = lanes(blk, x, p);
            switch (type) {
                case Q2_K -> {
                    for (int t = 0; t < 8; t++) {
                        int minLane = 0;
                        for (int k = 2 * t; k <= 2 * t + 1; k++) {
                            minLane += blk.min()[16 * k] * x.groupSum(p / 16 + k);
                        }
                        acc[t] = fma(dmin, (float) minLane, acc[t]);
                    }
                }
                case Q4_K, Q5_K -> {
                    // m_b · (sum of the 32 activation quants of sub-block b), summed straight from the quants
                    int[] pair = new int[4];
                    for (int e = 0; e < 256; e++) {
                        pair[e / 64] += blk.min()[e] * x.quant(p + e);
                    }
                    if (type == GgmlType.Q4_K) {
                        for (int i = 0; i < 4; i++) {
                            accm[i] = fma(dmin, (float) pair[i], accm[i]);
                        }
                    } else {
                        summs = fma(dmin, (float) (pair[0] + pair[1] + pair[2] + pair[3]), summs);
                    }
                }
                default -> {
                }
            }
            for (int t = 0; t < 8; t++) {
                acc[t] = fma(d, (float) lanes[t], acc[t]);
            }
        }
        return switch (type) {
            case Q4_K -> hsum8(acc) + ((accm[0] + accm[2]) + (accm[1] + accm[3]));
            case Q5_K -> hsum8(acc) + summs;
            default -> hsum8(acc);
        };
    }

    private static float floatDot(GgmlType type, MemorySegment w, QuantizedActivations x, int xOff, int n) {
        float[][] acc = new float[4][8];
        int np = n / 32 * 32;
        for (int i = 0; i < np; i++) {
            float wv = weight(type, w, i);
            float[] a = acc[(i / 8) % 4];
            if (type == GgmlType.BF16) {
                a[i % 8] = a[i % 8] + wv * x.value(xOff + i);
            } else {
                a[i % 8] = fma(wv, x.value(xOff + i), a[i % 8]);
            }
        }
        float[] v = new float[8];
        for (int l = 0; l < 8; l++) {
            v[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
        }
        if (type == GgmlType.BF16) {
            double sum = hsum8(v);
            for (int i = np; i < n; i++) {
                sum += weight(type, w, i) * x.value(xOff + i);
            }
            return (float) sum;
        }
        float t0 = v[0] + v[4], t1 = v[1] + v[5], t2 = v[2] + v[6], t3 = v[3] + v[7];
        float reduced = (t0 + t1) + (t2 + t3);
        if (type == GgmlType.F16) {
            double sum = reduced;
            for (int i = np; i < n; i++) {
                sum += weight(type, w, i) * x.value(xOff + i);
            }
            return (float) sum;
        }
        for (int i = np; i < n; i++) {
            reduced = fma(weight(type, w, i), x.value(xOff + i), reduced);
        }
        return reduced;
    }

    /** ggml_vec_dot_f32 on arrays, with 32 explicit accumulators. */
    static float f32(float[] a, float[] b, int n) {
        float[][] acc = new float[4][8];
        int np = n / 32 * 32;
        for (int i = 0; i < np; i++) {
            acc[(i / 8) % 4][i % 8] = fma(a[i], b[i], acc[(i / 8) % 4][i % 8]);
        }
        float[] v = new float[8];
        for (int l = 0; l < 8; l++) {
            v[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
        }
        float sum = ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
        for (int i = np; i < n; i++) {
            sum = fma(a[i], b[i], sum);
        }
        return sum;
    }

    private static float weight(GgmlType type, MemorySegment w, int i) {
        return switch (type) {
            case F32 -> w.getAtIndex(TestRows.FLOAT, i);
            case F16 -> Float.float16ToFloat(w.getAtIndex(TestRows.SHORT, i));
            default -> Float.intBitsToFloat((w.getAtIndex(TestRows.SHORT, i) & 0xFFFF) << 16);
        };
    }
}
