package io.strata.kernels.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;

import java.lang.foreign.MemorySegment;

import static io.strata.kernels.cpu.VectorLanes.BYTES;
import static io.strata.kernels.cpu.VectorLanes.FLOATS;
import static io.strata.kernels.cpu.VectorLanes.GROUP;
import static io.strata.kernels.cpu.VectorLanes.INTS;
import static io.strata.kernels.cpu.VectorLanes.INT_LE;
import static io.strata.kernels.cpu.VectorLanes.LE;
import static io.strata.kernels.cpu.VectorLanes.LONG_LE;
import static io.strata.kernels.cpu.VectorLanes.f16;
import static io.strata.kernels.cpu.VectorLanes.fmaLanes;
import static io.strata.kernels.cpu.VectorLanes.hsum8;
import static io.strata.kernels.cpu.VectorLanes.smallLanes;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static java.lang.Math.fma;

/**
 * Vector API dot products of K-quant super-blocks (256 elements) with Q8_K activations, bit-identical to the scalar
 * {@code KQuantDots} (formats.md 3.4). Per super-block each of the 8 int32 lanes sums scale·q·y over the elements
 * with (e mod 32) / 4 = t of all eight 32-element groups: here one {@link VectorLanes#smallLanes} per group,
 * multiplied by the group's scale(s) and added up exactly in int32; then acc_t = fma(y.d·d, lane_t, acc_t) and
 * {@code hsum8}. The min terms of Q4_K use the activations' 16-element sums and stay scalar, as in the reference:
 * they are a few operations per 256 elements.
 *
 * <p>Single-token forms and two-token tiles ({@code …x2}), which decode each super-block once for both tokens and
 * keep separate accumulators, so a token's result does not depend on its tile.
 */
final class VectorKQuantDots {
    private static final int QK_K = 256;
    private static final int Q4_K_BYTES = 144;
    private static final int Q6_K_BYTES = 210;
    private static final int LOW_NIBBLE_OF_SHORTS = 0x000F;
    /** Lanes 4-7: in Q6_K they take the scale of the second 16 elements of a group. */
    private static final VectorMask<Integer> SECOND_HALF = VectorMask.fromValues(INTS,
            false, false, false, false, true, true, true, true);

    private VectorKQuantDots() {
    }

    // ---- Q4_K (d 0:2, dmin 2:2, scales 4:12, qs 16:128) --------------------------------------------------------

    /**
     * ggml_vec_dot_q4_K_q8_K: 64-element chunk j holds sub-block 2j in the low nibbles of its 32 bytes and 2j + 1
     * in the high ones, each in element order, so one 32-byte load gives two groups. Mins go to a 4-lane float
     * accumulator, am_i = fma(−y.d·dmin, m_{2i}·s_{2i} + m_{2i+1}·s_{2i+1}, am_i); result
     * hsum8(acc) + ((am0 + am2) + (am1 + am3)).
     */
    static float q4_K(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / QK_K;
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        short[] bsums = x.groupSums;
        FloatVector acc = FloatVector.zero(FLOATS);
        float m0 = 0;
        float m1 = 0;
        float m2 = 0;
        float m3 = 0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_K_BYTES * b;
            int p = b0 + b;
            float yd = dy[p];
            float dmin = -yd * f16(w, at + 2);
            long sc0 = w.get(LONG_LE, at + 4);
            int sc1 = w.get(INT_LE, at + 12);
            int g = 16 * p;
            m0 = fma(dmin, minPair(sc0, sc1, bsums, g, 0), m0);
            m1 = fma(dmin, minPair(sc0, sc1, bsums, g, 1), m1);
            m2 = fma(dmin, minPair(sc0, sc1, bsums, g, 2), m2);
            m3 = fma(dmin, minPair(sc0, sc1, bsums, g, 3), m3);
            acc = fmaLanes(yd * f16(w, at), q4kLanes(w, at, sc0, sc1, y, QK_K * p), acc);
        }
        return hsum8(acc) + ((m0 + m2) + (m1 + m3));
    }

    static void q4_Kx2(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        int blocks = x.cols / QK_K;
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        short[] bsums = x.groupSums;
        FloatVector accA = FloatVector.zero(FLOATS);
        FloatVector accB = accA;
        float a0 = 0;
        float a1 = 0;
        float a2 = 0;
        float a3 = 0;
        float c0 = 0;
        float c1 = 0;
        float c2 = 0;
        float c3 = 0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_K_BYTES * b;
            float dx = f16(w, at);
            float dminx = f16(w, at + 2);
            long sc0 = w.get(LONG_LE, at + 4);
            int sc1 = w.get(INT_LE, at + 12);
            int pa = b0 + b;
            int pb = pa + blocks;
            float dminA = -dy[pa] * dminx;
            float dminB = -dy[pb] * dminx;
            a0 = fma(dminA, minPair(sc0, sc1, bsums, 16 * pa, 0), a0);
            a1 = fma(dminA, minPair(sc0, sc1, bsums, 16 * pa, 1), a1);
            a2 = fma(dminA, minPair(sc0, sc1, bsums, 16 * pa, 2), a2);
            a3 = fma(dminA, minPair(sc0, sc1, bsums, 16 * pa, 3), a3);
            c0 = fma(dminB, minPair(sc0, sc1, bsums, 16 * pb, 0), c0);
            c1 = fma(dminB, minPair(sc0, sc1, bsums, 16 * pb, 1), c1);
            c2 = fma(dminB, minPair(sc0, sc1, bsums, 16 * pb, 2), c2);
            c3 = fma(dminB, minPair(sc0, sc1, bsums, 16 * pb, 3), c3);
            IntVector sumA = IntVector.zero(INTS);
            IntVector sumB = sumA;
            for (int j = 0; j < 4; j++) {
                ShortVector q = q4kChunk(w, at, j);
                int scLow = q4kScale(sc0, sc1, 2 * j);
                int scHigh = q4kScale(sc0, sc1, 2 * j + 1);
                ShortVector evenLow = lowNibbleEven(q);
                ShortVector oddLow = lowNibbleOdd(q);
                ShortVector evenHigh = highNibbleEven(q);
                ShortVector oddHigh = highNibbleOdd(q);
                int ya = QK_K * pa + 64 * j;
                int yb = QK_K * pb + 64 * j;
                sumA = sumA.add(smallLanes(evenLow, oddLow, y, ya).mul(scLow))
                        .add(smallLanes(evenHigh, oddHigh, y, ya + GROUP).mul(scHigh));
                sumB = sumB.add(smallLanes(evenLow, oddLow, y, yb).mul(scLow))
                        .add(smallLanes(evenHigh, oddHigh, y, yb + GROUP).mul(scHigh));
            }
            accA = fmaLanes(dy[pa] * dx, sumA, accA);
            accB = fmaLanes(dy[pb] * dx, sumB, accB);
        }
        out[o] = hsum8(accA) + ((a0 + a2) + (a1 + a3));
        out[o + stride] = hsum8(accB) + ((c0 + c2) + (c1 + c3));
    }

    /** The 8 lanes of one Q4_K super-block: Σ_j sc_{2j}·lanes(low nibbles of chunk j) + sc_{2j+1}·lanes(high). */
    private static IntVector q4kLanes(MemorySegment w, long at, long sc0, int sc1, short[] y, int p) {
        IntVector sum = IntVector.zero(INTS);
        for (int j = 0; j < 4; j++) {
            ShortVector q = q4kChunk(w, at, j);
            int pj = p + 64 * j;
            sum = sum.add(smallLanes(lowNibbleEven(q), lowNibbleOdd(q), y, pj).mul(q4kScale(sc0, sc1, 2 * j)))
                    .add(smallLanes(highNibbleEven(q), highNibbleOdd(q), y, pj + GROUP).mul(q4kScale(sc0, sc1, 2 * j + 1)));
        }
        return sum;
    }

    /** The 32 quant bytes of chunk j as 16 shorts: short i = bytes 2i (low 8 bits) and 2i + 1 (high 8 bits). */
    private static ShortVector q4kChunk(MemorySegment w, long at, int j) {
        return ByteVector.fromMemorySegment(BYTES, w, at + 16 + 32L * j, LE).reinterpretAsShorts();
    }

    private static ShortVector lowNibbleEven(ShortVector q) {
        return q.and((short) LOW_NIBBLE_OF_SHORTS);
    }

    private static ShortVector lowNibbleOdd(ShortVector q) {
        return q.lanewise(LSHR, 8).and((short) LOW_NIBBLE_OF_SHORTS);
    }

    private static ShortVector highNibbleEven(ShortVector q) {
        return q.lanewise(LSHR, 4).and((short) LOW_NIBBLE_OF_SHORTS);
    }

    private static ShortVector highNibbleOdd(ShortVector q) {
        return q.lanewise(LSHR, 12);
    }

    /** Byte i (0..11) of the 12 scale bytes read as a long (bytes 0-7) and an int (bytes 8-11). */
    private static int scaleByte(long bytes0to7, int bytes8to11, int i) {
        return i < 8 ? (int) (bytes0to7 >>> (8 * i)) & 0xFF : (bytes8to11 >>> (8 * (i - 8))) & 0xFF;
    }

    /** The 6-bit scale of sub-block b (formats.md 2.2, get_scale_min_k4). */
    private static int q4kScale(long s0, int s1, int b) {
        if (b < 4) {
            return scaleByte(s0, s1, b) & 63;
        }
        return (scaleByte(s0, s1, b + 4) & 0xF) | ((scaleByte(s0, s1, b - 4) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block b (formats.md 2.2). */
    private static int q4kMin(long s0, int s1, int b) {
        if (b < 4) {
            return scaleByte(s0, s1, b + 4) & 63;
        }
        return (scaleByte(s0, s1, b + 4) >>> 4) | ((scaleByte(s0, s1, b) >>> 6) << 4);
    }

    /** m_{2i}·s_{2i} + m_{2i+1}·s_{2i+1}, s_b = bsums[2b] + bsums[2b + 1]: one lane of the AVX2 min madd. */
    private static int minPair(long sc0, int sc1, short[] bsums, int g, int i) {
        int b = 2 * i;
        return q4kMin(sc0, sc1, b) * (bsums[g + 2 * b] + bsums[g + 2 * b + 1])
                + q4kMin(sc0, sc1, b + 1) * (bsums[g + 2 * b + 2] + bsums[g + 2 * b + 3]);
    }

    // ---- Q6_K (ql 0:128, qh 128:64, scales 192:16 int8, d 208:2) ----------------------------------------------

    /**
     * ggml_vec_dot_q6_K_q8_K: half h (128 elements) has 64 ql bytes and 32 qh bytes; group g of it takes the low
     * (g < 2) or high nibbles of ql bytes 32·(g & 1) .. + 31 and bits 2g, 2g + 1 of the qh bytes, all in element
     * order, q = (low4 | high2 << 4) − 32. Lanes 0-3 of a group use the scale of its first 16 elements, lanes 4-7
     * the next one.
     */
    static float q6_K(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / QK_K;
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q6_K_BYTES * b;
            int p = b0 + b;
            acc = fmaLanes(dy[p] * f16(w, at + 208), q6kLanes(w, at, y, QK_K * p), acc);
        }
        return hsum8(acc);
    }

    static void q6_Kx2(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        int blocks = x.cols / QK_K;
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector accA = FloatVector.zero(FLOATS);
        FloatVector accB = accA;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q6_K_BYTES * b;
            int pa = b0 + b;
            int pb = pa + blocks;
            long sc0 = w.get(LONG_LE, at + 192);
            long sc1 = w.get(LONG_LE, at + 200);
            IntVector sumA = IntVector.zero(INTS);
            IntVector sumB = sumA;
            for (int h = 0; h < 2; h++) {
                IntVector qh = ByteVector.fromMemorySegment(BYTES, w, at + 128 + 32L * h, LE).reinterpretAsInts();
                for (int g = 0; g < 4; g++) {
                    IntVector q = q6kQuants(w, at, h, g, qh);
                    ShortVector even = q6kEven(q);
                    ShortVector odd = q6kOdd(q);
                    IntVector scale = q6kScales(sc0, sc1, 8 * h + 2 * g);
                    int off = 128 * h + 32 * g;
                    sumA = sumA.add(smallLanes(even, odd, y, QK_K * pa + off).mul(scale));
                    sumB = sumB.add(smallLanes(even, odd, y, QK_K * pb + off).mul(scale));
                }
            }
            float dx = f16(w, at + 208);
            accA = fmaLanes(dy[pa] * dx, sumA, accA);
            accB = fmaLanes(dy[pb] * dx, sumB, accB);
        }
        out[o] = hsum8(accA);
        out[o + stride] = hsum8(accB);
    }

    /** The 8 lanes of one Q6_K super-block. */
    private static IntVector q6kLanes(MemorySegment w, long at, short[] y, int p) {
        long sc0 = w.get(LONG_LE, at + 192);
        long sc1 = w.get(LONG_LE, at + 200);
        IntVector sum = IntVector.zero(INTS);
        for (int h = 0; h < 2; h++) {
            IntVector qh = ByteVector.fromMemorySegment(BYTES, w, at + 128 + 32L * h, LE).reinterpretAsInts();
            for (int g = 0; g < 4; g++) {
                IntVector q = q6kQuants(w, at, h, g, qh);
                IntVector lanes = smallLanes(q6kEven(q), q6kOdd(q), y, p + 128 * h + 32 * g);
                sum = sum.add(lanes.mul(q6kScales(sc0, sc1, 8 * h + 2 * g)));
            }
        }
        return sum;
    }

    /** Group g of half h as 32 unsigned bytes low4 | high2 << 4 (0..63) in element order, read as 8 ints. */
    private static IntVector q6kQuants(MemorySegment w, long at, int h, int g, IntVector qh) {
        IntVector ql = ByteVector.fromMemorySegment(BYTES, w, at + 64L * h + 32L * (g & 1), LE).reinterpretAsInts();
        IntVector low4 = (g < 2 ? ql : ql.lanewise(LSHR, 4)).and(0x0F0F0F0F);
        IntVector high2 = qh.lanewise(LSHR, 2 * g).and(0x03030303);
        return low4.or(high2.lanewise(jdk.incubator.vector.VectorOperators.LSHL, 4));
    }

    /** Elements 2j as q − 32. */
    private static ShortVector q6kEven(IntVector q) {
        return q.reinterpretAsShorts().and((short) 0x00FF).sub((short) 32);
    }

    /** Elements 2j + 1 as q − 32. */
    private static ShortVector q6kOdd(IntVector q) {
        return q.reinterpretAsShorts().lanewise(LSHR, 8).sub((short) 32);
    }

    /** [s_k ×4, s_{k+1} ×4]: the signed scales of the two 16-element halves of a group. */
    private static IntVector q6kScales(long sc0, long sc1, int k) {
        int first = (byte) (k < 8 ? sc0 >>> (8 * k) : sc1 >>> (8 * (k - 8)));
        int second = (byte) (k + 1 < 8 ? sc0 >>> (8 * (k + 1)) : sc1 >>> (8 * (k - 7)));
        return IntVector.broadcast(INTS, first).blend(second, SECOND_HALF);
    }
}
