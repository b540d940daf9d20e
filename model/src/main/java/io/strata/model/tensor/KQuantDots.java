package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;

import static io.strata.model.tensor.BlockFormats.LOW_NIBBLES;
import static io.strata.model.tensor.BlockFormats.QK_K;
import static io.strata.model.tensor.BlockFormats.q3kScale;
import static io.strata.model.tensor.BlockFormats.q4kMin;
import static io.strata.model.tensor.BlockFormats.q4kScale;
import static io.strata.model.tensor.Lanes.dot4;
import static io.strata.model.tensor.Lanes.hsum8;
import static io.strata.model.tensor.LittleEndian.f16;
import static io.strata.model.tensor.LittleEndian.i32;
import static io.strata.model.tensor.LittleEndian.i64;
import static java.lang.Math.fma;

/**
 * Dot products of K-quant super-blocks (256 elements) with Q8_K activations, in the AVX2 order of ggml's
 * {@code ggml_vec_dot_q*_K_q8_K} (formats.md 3.4). Per super-block, each of the 8 int32 lanes sums
 * scale·q·y over the elements with (e mod 32) / 4 = t of all eight 32-element groups; then
 * acc_t = fma(y.d·d, lane_t, acc_t). The {@code *Lane} functions compute one lane of one super-block: they are
 * where the layout of formats.md 2.2 meets the lane map. Within a 32-element group lane t covers elements
 * 4t .. 4t + 3, so a 16-element scale index is (group start)/16 + t/4.
 */
final class KQuantDots {
    private static final int LOW_2_BITS = 0x03030303;
    private static final int LOW_BIT = 0x01010101;

    private KQuantDots() {
    }

    /**
     * Q2_K (scales 0:16, qs 16:64, d 80:2, dmin 82:2). The min term goes into the same accumulators first:
     * acc_t = fma(−y.d·dmin, m_{2t}·bsums_{2t} + m_{2t+1}·bsums_{2t+1}, acc_t), then the quant lanes.
     */
    static float q2_K(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        short[] bsums = x.groupSums();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int b = 0; b < n / QK_K; b++) {
            long block = row + 84L * b;
            int p = xOffset + QK_K * b;
            float yd = dy[p / QK_K];
            float d = yd * f16(w, block + 80);
            float dmin = -yd * f16(w, block + 82);
            long sc0 = i64(w, block);
            long sc1 = i64(w, block + 8);
            int g = p / 16;
            a0 = fma(d, q2kLane(w, block, sc0, sc1, 0, y, p), fma(dmin, q2kMinLane(sc0, sc1, bsums, g, 0), a0));
            a1 = fma(d, q2kLane(w, block, sc0, sc1, 1, y, p), fma(dmin, q2kMinLane(sc0, sc1, bsums, g, 1), a1));
            a2 = fma(d, q2kLane(w, block, sc0, sc1, 2, y, p), fma(dmin, q2kMinLane(sc0, sc1, bsums, g, 2), a2));
            a3 = fma(d, q2kLane(w, block, sc0, sc1, 3, y, p), fma(dmin, q2kMinLane(sc0, sc1, bsums, g, 3), a3));
            a4 = fma(d, q2kLane(w, block, sc0, sc1, 4, y, p), fma(dmin, q2kMinLane(sc0, sc1, bsums, g, 4), a4));
            a5 = fma(d, q2kLane(w, block, sc0, sc1, 5, y, p), fma(dmin, q2kMinLane(sc0, sc1, bsums, g, 5), a5));
            a6 = fma(d, q2kLane(w, block, sc0, sc1, 6, y, p), fma(dmin, q2kMinLane(sc0, sc1, bsums, g, 6), a6));
            a7 = fma(d, q2kLane(w, block, sc0, sc1, 7, y, p), fma(dmin, q2kMinLane(sc0, sc1, bsums, g, 7), a7));
        }
        return hsum8(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /** Lane t of a Q2_K super-block: Σ lo(scales[k])·q·y, q = (qs[32h + l] >> 2j) & 3. */
    private static int q2kLane(MemorySegment w, long block, long sc0, long sc1, int t, byte[] y, int p) {
        int sum = 0;
        for (int h = 0; h < 2; h++) {
            int word = i32(w, block + 16 + 32 * h + 4 * t);
            for (int j = 0; j < 4; j++) {
                int scale = byte16(sc0, sc1, 8 * h + 2 * j + t / 4) & 0xF;
                sum += scale * dot4((word >>> (2 * j)) & LOW_2_BITS, 0, y, p + 128 * h + 32 * j + 4 * t);
            }
        }
        return sum;
    }

    /** Min lane t of Q2_K: the madd of the 16 4-bit mins with the 16 bsums, pairs (2t, 2t + 1). */
    private static int q2kMinLane(long sc0, long sc1, short[] bsums, int g, int t) {
        return (byte16(sc0, sc1, 2 * t) >>> 4) * bsums[g + 2 * t]
                + (byte16(sc0, sc1, 2 * t + 1) >>> 4) * bsums[g + 2 * t + 1];
    }

    /** Q3_K (hmask 0:32, qs 32:64, scales 96:12, d 108:2): acc_t = fma(y.d·d, lane_t, acc_t). */
    static float q3_K(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int b = 0; b < n / QK_K; b++) {
            long block = row + 110L * b;
            int p = xOffset + QK_K * b;
            float d = dy[p / QK_K] * f16(w, block + 108);
            long sc0 = i64(w, block + 96);
            int sc1 = i32(w, block + 104);
            a0 = fma(d, q3kLane(w, block, sc0, sc1, 0, y, p), a0);
            a1 = fma(d, q3kLane(w, block, sc0, sc1, 1, y, p), a1);
            a2 = fma(d, q3kLane(w, block, sc0, sc1, 2, y, p), a2);
            a3 = fma(d, q3kLane(w, block, sc0, sc1, 3, y, p), a3);
            a4 = fma(d, q3kLane(w, block, sc0, sc1, 4, y, p), a4);
            a5 = fma(d, q3kLane(w, block, sc0, sc1, 5, y, p), a5);
            a6 = fma(d, q3kLane(w, block, sc0, sc1, 6, y, p), a6);
            a7 = fma(d, q3kLane(w, block, sc0, sc1, 7, y, p), a7);
        }
        return hsum8(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /** Lane t of a Q3_K super-block: Σ s_k·q·y with q = low2 − (hmask bit (4h + j) of hmask[l] ? 0 : 4). */
    private static int q3kLane(MemorySegment w, long block, long sc0, int sc1, int t, byte[] y, int p) {
        int hmask = i32(w, block + 4 * t);
        int sum = 0;
        for (int h = 0; h < 2; h++) {
            int word = i32(w, block + 32 + 32 * h + 4 * t);
            for (int j = 0; j < 4; j++) {
                int quants = ((word >>> (2 * j)) & LOW_2_BITS) | (((hmask >>> (4 * h + j)) & LOW_BIT) << 2);
                int scale = q3kScale(sc0, sc1, 8 * h + 2 * j + t / 4);
                sum += scale * dot4(quants, 4, y, p + 128 * h + 32 * j + 4 * t);
            }
        }
        return sum;
    }

    /**
     * Q4_K (d 0:2, dmin 2:2, scales 4:12, qs 16:128). Mins use a separate 4-lane accumulator:
     * am_i = fma(−y.d·dmin, m_{2i}·s_{2i} + m_{2i+1}·s_{2i+1}, am_i), s_b = sum of the 32 quants of sub-block b;
     * result = hsum8(acc) + ((am0 + am2) + (am1 + am3)).
     */
    static float q4_K(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        short[] bsums = x.groupSums();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        for (int b = 0; b < n / QK_K; b++) {
            long block = row + 144L * b;
            int p = xOffset + QK_K * b;
            float yd = dy[p / QK_K];
            float d = yd * f16(w, block);
            float dmin = -yd * f16(w, block + 2);
            long sc0 = i64(w, block + 4);
            int sc1 = i32(w, block + 12);
            int g = p / 16;
            m0 = fma(dmin, minPair(sc0, sc1, bsums, g, 0), m0);
            m1 = fma(dmin, minPair(sc0, sc1, bsums, g, 1), m1);
            m2 = fma(dmin, minPair(sc0, sc1, bsums, g, 2), m2);
            m3 = fma(dmin, minPair(sc0, sc1, bsums, g, 3), m3);
            a0 = fma(d, q4kLane(w, block, sc0, sc1, 0, y, p), a0);
            a1 = fma(d, q4kLane(w, block, sc0, sc1, 1, y, p), a1);
            a2 = fma(d, q4kLane(w, block, sc0, sc1, 2, y, p), a2);
            a3 = fma(d, q4kLane(w, block, sc0, sc1, 3, y, p), a3);
            a4 = fma(d, q4kLane(w, block, sc0, sc1, 4, y, p), a4);
            a5 = fma(d, q4kLane(w, block, sc0, sc1, 5, y, p), a5);
            a6 = fma(d, q4kLane(w, block, sc0, sc1, 6, y, p), a6);
            a7 = fma(d, q4kLane(w, block, sc0, sc1, 7, y, p), a7);
        }
        return hsum8(a0, a1, a2, a3, a4, a5, a6, a7) + ((m0 + m2) + (m1 + m3));
    }

    /** Lane t of a Q4_K super-block: 64-element chunk j holds sub-block 2j in low nibbles, 2j + 1 in high. */
    private static int q4kLane(MemorySegment w, long block, long sc0, int sc1, int t, byte[] y, int p) {
        int sum = 0;
        for (int j = 0; j < 4; j++) {
            int word = i32(w, block + 16 + 32 * j + 4 * t);
            int pj = p + 64 * j + 4 * t;
            sum += q4kScale(sc0, sc1, 2 * j) * dot4(word & LOW_NIBBLES, 0, y, pj)
                    + q4kScale(sc0, sc1, 2 * j + 1) * dot4((word >>> 4) & LOW_NIBBLES, 0, y, pj + 32);
        }
        return sum;
    }

    /** m_{2i}·s_{2i} + m_{2i+1}·s_{2i+1}, s_b = bsums[2b] + bsums[2b + 1]: one lane of the AVX2 min madd. */
    private static int minPair(long sc0, int sc1, short[] bsums, int g, int i) {
        int b = 2 * i;
        return q4kMin(sc0, sc1, b) * (bsums[g + 2 * b] + bsums[g + 2 * b + 1])
                + q4kMin(sc0, sc1, b + 1) * (bsums[g + 2 * b + 2] + bsums[g + 2 * b + 3]);
    }

    /**
     * Q5_K (d 0:2, dmin 2:2, scales 4:12, qh 16:32, qs 48:128). The min term is a scalar:
     * summs = fma(−y.d·dmin, Σ_b m_b·s_b, summs) (GCC contracts the C {@code summs += dmin * sum}); result
     * hsum8(acc) + summs.
     */
    static float q5_K(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        short[] bsums = x.groupSums();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        float summs = 0;
        for (int b = 0; b < n / QK_K; b++) {
            long block = row + 176L * b;
            int p = xOffset + QK_K * b;
            float yd = dy[p / QK_K];
            float d = yd * f16(w, block);
            float dmin = -yd * f16(w, block + 2);
            long sc0 = i64(w, block + 4);
            int sc1 = i32(w, block + 12);
            int g = p / 16;
            int mins = minPair(sc0, sc1, bsums, g, 0) + minPair(sc0, sc1, bsums, g, 1)
                    + minPair(sc0, sc1, bsums, g, 2) + minPair(sc0, sc1, bsums, g, 3);
            summs = fma(dmin, (float) mins, summs);
            a0 = fma(d, q5kLane(w, block, sc0, sc1, 0, y, p), a0);
            a1 = fma(d, q5kLane(w, block, sc0, sc1, 1, y, p), a1);
            a2 = fma(d, q5kLane(w, block, sc0, sc1, 2, y, p), a2);
            a3 = fma(d, q5kLane(w, block, sc0, sc1, 3, y, p), a3);
            a4 = fma(d, q5kLane(w, block, sc0, sc1, 4, y, p), a4);
            a5 = fma(d, q5kLane(w, block, sc0, sc1, 5, y, p), a5);
            a6 = fma(d, q5kLane(w, block, sc0, sc1, 6, y, p), a6);
            a7 = fma(d, q5kLane(w, block, sc0, sc1, 7, y, p), a7);
        }
        return hsum8(a0, a1, a2, a3, a4, a5, a6, a7) + summs;
    }

    /** Lane t of a Q5_K super-block: Q4_K's nibbles plus 16 × bit b of qh[l] for sub-block b. */
    private static int q5kLane(MemorySegment w, long block, long sc0, int sc1, int t, byte[] y, int p) {
        int qh = i32(w, block + 16 + 4 * t);
        int sum = 0;
        for (int j = 0; j < 4; j++) {
            int word = i32(w, block + 48 + 32 * j + 4 * t);
            int low = (word & LOW_NIBBLES) | (((qh >>> (2 * j)) & LOW_BIT) << 4);
            int high = ((word >>> 4) & LOW_NIBBLES) | (((qh >>> (2 * j + 1)) & LOW_BIT) << 4);
            int pj = p + 64 * j + 4 * t;
            sum += q4kScale(sc0, sc1, 2 * j) * dot4(low, 0, y, pj)
                    + q4kScale(sc0, sc1, 2 * j + 1) * dot4(high, 0, y, pj + 32);
        }
        return sum;
    }

    /** Q6_K (ql 0:128, qh 128:64, scales 192:16 int8, d 208:2): acc_t = fma(y.d·d, lane_t, acc_t). */
    static float q6_K(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int b = 0; b < n / QK_K; b++) {
            long block = row + 210L * b;
            int p = xOffset + QK_K * b;
            float d = dy[p / QK_K] * f16(w, block + 208);
            long sc0 = i64(w, block + 192);
            long sc1 = i64(w, block + 200);
            a0 = fma(d, q6kLane(w, block, sc0, sc1, 0, y, p), a0);
            a1 = fma(d, q6kLane(w, block, sc0, sc1, 1, y, p), a1);
            a2 = fma(d, q6kLane(w, block, sc0, sc1, 2, y, p), a2);
            a3 = fma(d, q6kLane(w, block, sc0, sc1, 3, y, p), a3);
            a4 = fma(d, q6kLane(w, block, sc0, sc1, 4, y, p), a4);
            a5 = fma(d, q6kLane(w, block, sc0, sc1, 5, y, p), a5);
            a6 = fma(d, q6kLane(w, block, sc0, sc1, 6, y, p), a6);
            a7 = fma(d, q6kLane(w, block, sc0, sc1, 7, y, p), a7);
        }
        return hsum8(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /** Lane t of a Q6_K super-block: q = (low4 | high2 << 4) − 32, group g of half h (formats.md 2.2). */
    private static int q6kLane(MemorySegment w, long block, long sc0, long sc1, int t, byte[] y, int p) {
        int sum = 0;
        for (int h = 0; h < 2; h++) {
            int qh = i32(w, block + 128 + 32 * h + 4 * t);
            for (int g = 0; g < 4; g++) {
                int ql = i32(w, block + 64 * h + 32 * (g & 1) + 4 * t);
                int quants = ((ql >>> (g < 2 ? 0 : 4)) & LOW_NIBBLES) | (((qh >>> (2 * g)) & LOW_2_BITS) << 4);
                int scale = (byte) byte16(sc0, sc1, 8 * h + 2 * g + t / 4);
                sum += scale * dot4(quants, 32, y, p + 128 * h + 32 * g + 4 * t);
            }
        }
        return sum;
    }

    /** Byte k (0..15) of 16 bytes read as two longs. */
    private static int byte16(long bytes0to7, long bytes8to15, int k) {
        return (int) ((k < 8 ? bytes0to7 >>> (8 * k) : bytes8to15 >>> (8 * (k - 8))) & 0xFF);
    }
}
