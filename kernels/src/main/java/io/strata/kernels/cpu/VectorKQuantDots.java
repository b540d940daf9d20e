package io.strata.kernels.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

import static io.strata.kernels.cpu.VectorLanes.BYTES;
import static io.strata.kernels.cpu.VectorLanes.BYTES_W;
import static io.strata.kernels.cpu.VectorLanes.INTS_W;
import static io.strata.kernels.cpu.VectorLanes.SHORTS_W;
import static io.strata.kernels.cpu.VectorLanes.HIGH_HALF;
import static io.strata.kernels.cpu.VectorLanes.HIGH_HALF_W;
import static io.strata.kernels.cpu.VectorLanes.HIGH_QUARTER;
import static io.strata.kernels.cpu.VectorLanes.SHORTS;
import static io.strata.kernels.cpu.VectorLanes.SWAP_HALVES;
import static io.strata.kernels.cpu.VectorLanes.kEven;
import static io.strata.kernels.cpu.VectorLanes.FLOATS;
import static io.strata.kernels.cpu.VectorLanes.GROUP;
import static io.strata.kernels.cpu.VectorLanes.INTS;
import static io.strata.kernels.cpu.VectorLanes.INT_LE;
import static io.strata.kernels.cpu.VectorLanes.LE;
import static io.strata.kernels.cpu.VectorLanes.LONG_LE;
import static io.strata.kernels.cpu.VectorLanes.f16;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2I;
import static java.lang.Math.fma;

/**
 * Vector API dot products of K-quant super-blocks (256 elements) with Q8_K activations, bit-identical to the scalar
 * {@code KQuantDots} (formats.md 3.4). Per super-block each of the 8 int32 lanes sums scale·q·y over the elements
 * with (e mod 32) / 4 = t of all eight 32-element groups: here one {@link VectorLanes#smallLanes} per group,
 * multiplied by the group's scale(s) and added up exactly in int32; then acc_t = fma(y.d·d, lane_t, acc_t) and
 * {@code hsum8}. The min terms of Q4_K use the activations' 16-element sums and stay scalar, as in the reference:
 * they are a few operations per 256 elements.
 *
 * <p>Every kernel is a compilation boundary ({@link RowKernel}): one method with its steps written out (the
 * {@link VectorLanes} building blocks, spelled inline, named in the comments) and its argument checks written out.
 *
 * <p>Single-token forms only: a two-token tile that shares the unpacking of a super-block needs more IR than C2
 * inlines into one compilation (NodeCountInliningCutoff), after which its vectors become heap objects. A batch
 * still reads each row from memory once, since {@link MatMul} runs all its tokens on a row while it is in cache.
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
     * in the high ones, each in element order. Mins go to a 4-lane float accumulator,
     * am_i = fma(−y.d·dmin, m_{2i}·s_{2i} + m_{2i+1}·s_{2i+1}, am_i); result hsum8(acc) + ((am0 + am2) + (am1 + am3)).
     */
    static float q4_K(MemorySegment w, long row, DotOperand x, int token) {
        return VectorLanes.WIDE ? q4_KWide(w, row, x, token) : q4_KNarrow(w, row, x, token);
    }

    /** 256-bit form: per chunk one 32-byte load, two groups of 8 lanes. */
    static float q4_KNarrow(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / QK_K;
        if (token < 0 || (long) (token + 1) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q4_K_BYTES * blocks > w.byteSize()) {
            throw new IllegalArgumentException("a Q4_K row at byte " + row + " of " + w.byteSize() + " times token "
                    + token + " of " + x.evenOdd.length / x.cols + " (" + x.cols + " columns)");
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_K_BYTES * b;
            int p = b0 + b;
            long scales = q4kScales(w.get(LONG_LE, at + 4), w.get(INT_LE, at + 12));
            // the 8 lanes of the super-block: Σ_j sc_{2j}·lanes(low nibbles of chunk j) + sc_{2j+1}·lanes(high)
            IntVector sum = IntVector.zero(INTS);
            for (int j = 0; j < 4; j++) {
                // chunk j's 32 bytes as 16 shorts: short i = bytes 2i (low 8 bits) and 2i + 1 (high 8 bits)
                ShortVector q = ByteVector.fromMemorySegment(BYTES, w, at + 16 + 32L * j, LE).reinterpretAsShorts();
                int lo = QK_K * p + kEven(2 * j);
                int hi = QK_K * p + kEven(2 * j + 1);
                // smallLanes of the low nibbles (even: bits 0-3, odd: bits 8-11) and of the high ones
                IntVector low = q.and((short) LOW_NIBBLE_OF_SHORTS).mul(ShortVector.fromArray(SHORTS, y, lo))
                        .add(q.lanewise(LSHR, 8).and((short) LOW_NIBBLE_OF_SHORTS)
                                .mul(ShortVector.fromArray(SHORTS, y, lo + GROUP)))
                        .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
                IntVector high = q.lanewise(LSHR, 4).and((short) LOW_NIBBLE_OF_SHORTS)
                        .mul(ShortVector.fromArray(SHORTS, y, hi))
                        .add(q.lanewise(LSHR, 12).mul(ShortVector.fromArray(SHORTS, y, hi + GROUP)))
                        .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
                sum = sum.add(low.mul(byteOf(scales, 2 * j))).add(high.mul(byteOf(scales, 2 * j + 1)));
            }
            // fmaLanes
            acc = ((FloatVector) sum.convert(I2F, 0)).fma(FloatVector.broadcast(FLOATS, dy[p] * f16(w, at)), acc);
        }
        // hsum8
        FloatVector s = acc.add(acc.rearrange(HIGH_HALF));
        FloatVector t = s.add(s.rearrange(HIGH_QUARTER));
        return (t.lane(0) + t.lane(1)) + q4kMinTerm(w, row, x, token);
    }


    /**
     * 512-bit form: each 32-byte chunk read twice side by side, its low nibbles taken from the first copy and its
     * high ones from the second: the 16 lanes [group 2j | group 2j + 1], each half times its group's scale,
     * summed exactly and folded to 8 lanes per super-block; the min terms in the scalar pass (a vectorized pass of
     * its own, compiled separately, ran out of C2's inlining budget in some contexts and boxed its vectors).
     */
    static float q4_KWide(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / QK_K;
        if (token < 0 || (long) (token + 1) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q4_K_BYTES * blocks > w.byteSize()) {
            throw new IllegalArgumentException("a Q4_K row at byte " + row + " of " + w.byteSize() + " times token "
                    + token + " of " + x.evenOdd.length / x.cols + " (" + x.cols + " columns)");
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_K_BYTES * b;
            int p = b0 + b;
            long sc = q4kScales(w.get(LONG_LE, at + 4), w.get(INT_LE, at + 12));
            // the 8 scales as floats, [sc_0 .. sc_7 | sc_0 .. sc_7]; chunk j takes [sc_2j ×8 | sc_2j+1 ×8] from the
            // front, then the front moves on by two. Lane sums times scales stay below 2^24, so the float products and
            // sums are the exact integers (the reference sums them in int32)
            FloatVector scales = (FloatVector) ((IntVector) LongVector.broadcast(LongVector.SPECIES_128, sc)
                    .reinterpretAsBytes().convertShape(ZERO_EXTEND_B2I, INTS_W, 0)).convert(I2F, 0);
            FloatVector sum = FloatVector.zero(FLOATS_W);
            for (int j = 0; j < 4; j++) {
                // chunk j twice side by side: [group 2j | group 2j + 1] = [low | high nibbles]
                ShortVector q = ((LongVector) LongVector.fromMemorySegment(LongVector.SPECIES_256, w,
                        at + 16 + 32L * j, LE).reinterpretShape(LongVector.SPECIES_512, 0)).rearrange(TWICE)
                        .reinterpretAsShorts();
                ShortVector even = q.lanewise(LSHR, Q4K_EVEN_SHIFT).and(LOW4);
                ShortVector odd = q.lanewise(LSHR, Q4K_ODD_SHIFT).and(LOW4);
                int at64 = QK_K * p + 64 * j;
                // smallLanesWide, times [sc_2j ×8 | sc_2j+1 ×8]
                IntVector lanes = even.mul(ShortVector.fromArray(SHORTS_W, y, at64))
                        .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, at64 + 32)))
                        .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
                sum = ((FloatVector) lanes.convert(I2F, 0)).fma(scales.rearrange(FRONT_PAIR), sum);
                scales = scales.rearrange(NEXT_PAIR);
            }
            // fold to 8 lanes (exact), then fmaLanes
            FloatVector folded = (FloatVector) sum.add(sum.rearrange(SWAP_FLOAT_HALVES)).reinterpretShape(FLOATS, 0);
            acc = folded.fma(FloatVector.broadcast(FLOATS, dy[p] * f16(w, at)), acc);
        }
        // hsum8, lane by lane (less IR than the shuffles)
        return (((acc.lane(0) + acc.lane(4)) + (acc.lane(2) + acc.lane(6)))
                + ((acc.lane(1) + acc.lane(5)) + (acc.lane(3) + acc.lane(7)))) + q4kMinTerm(w, row, x, token);
    }


    private static final VectorSpecies<Float> FLOATS_W = FloatVector.SPECIES_512;
    /** [lane 0 ×8 | lane 1 ×8]. */
    private static final VectorShuffle<Float> FRONT_PAIR = VectorShuffle.fromValues(FLOATS_W,
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    /** Lanes moved down by two (the top ones wrap; never read). */
    private static final VectorShuffle<Float> NEXT_PAIR = VectorShuffle.fromValues(FLOATS_W,
            2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1);
    private static final VectorShuffle<Float> SWAP_FLOAT_HALVES = VectorShuffle.fromValues(FLOATS_W,
            8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);

    /**
     * The min part of a Q4_K row, ((am0 + am2) + (am1 + am3)), as a kernel of its own (a compilation boundary like
     * the others, so the vector loop of {@link #q4_KWide} keeps its inlining budget): per super-block the 8 mins
     * times the sums of the activations' 16-element sums in pairs, s_b = bsums[2b] + bsums[2b + 1], neighbouring
     * products added (AVX2's madd), and am_i = fma(−y.d·dmin, m_{2i}·s_{2i} + m_{2i+1}·s_{2i+1}, am_i) in 4 lanes. The
     * integer steps are exact, the float steps are the scalar reference's, lane by lane. (Scalar, this pass took
     * as many instructions per super-block as the whole vector loop: every bsums read had its bounds check.)
     */
    static float q4kMinTerm(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / QK_K;
        if (token < 0 || row < 0 || row + (long) Q4_K_BYTES * blocks > w.byteSize() || x.groupSums == null
                || x.groupSums.length < 16 * (token + 1) * blocks || x.scales.length < (token + 1) * blocks) {
            throw new IllegalArgumentException("the mins of a Q4_K row at byte " + row + " of " + w.byteSize()
                    + " times token " + token + " (" + x.cols + " columns, "
                    + (x.groupSums == null ? "no" : String.valueOf(x.groupSums.length)) + " activation sums)");
        }
        int b0 = token * blocks;
        float[] dy = x.scales;
        short[] bsums = x.groupSums;
        FloatVector am = FloatVector.zero(FloatVector.SPECIES_128);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_K_BYTES * b;
            int p = b0 + b;
            float dmin = -dy[p] * f16(w, at + 2);
            long mins = q4kMins(w.get(LONG_LE, at + 4), w.get(INT_LE, at + 12));
            // s_b: int b of the 16 sums read as 8 ints is bsums[2b] (low half) and bsums[2b + 1] (high half)
            IntVector sumPairs = ShortVector.fromArray(SHORTS, bsums, 16 * p).reinterpretAsInts();
            IntVector s = sumPairs.lanewise(LSHL, 16).lanewise(ASHR, 16).add(sumPairs.lanewise(ASHR, 16));
            IntVector m = (IntVector) LongVector.broadcast(LongVector.SPECIES_128, mins).reinterpretAsBytes()
                    .convertShape(ZERO_EXTEND_B2I, INTS, 0);
            IntVector products = m.mul(s);
            // lane 2i: m_{2i}·s_{2i} + m_{2i+1}·s_{2i+1}; lanes 0-3 of the result: those four
            IntVector minPairs = (IntVector) products.add(products.rearrange(SWAP_NEIGHBOURS))
                    .rearrange(EVEN_TO_LOW).reinterpretShape(IntVector.SPECIES_128, 0);
            am = ((FloatVector) minPairs.convert(I2F, 0)).fma(FloatVector.broadcast(FloatVector.SPECIES_128, dmin), am);
        }
        return (am.lane(0) + am.lane(2)) + (am.lane(1) + am.lane(3));
    }

    /** Lanes (1, 0, 3, 2, ...): each int next to its neighbour. */
    private static final VectorShuffle<Integer> SWAP_NEIGHBOURS = VectorShuffle.fromValues(INTS, 1, 0, 3, 2, 5, 4, 7, 6);
    /** Lanes 0, 2, 4, 6 to lanes 0-3. */
    private static final VectorShuffle<Integer> EVEN_TO_LOW = VectorShuffle.fromValues(INTS, 0, 2, 4, 6, 0, 2, 4, 6);

    /**
     * The eight 6-bit sub-block scales of a Q4_K/Q5_K super-block, byte b = sc_b, from its 12 scale bytes S read as
     * a long (S0-7) and an int (S8-11): formats.md 2.2's table (get_scale_min_k4), four at a time. sc_0..3 are
     * the low 6 bits of S0-3; sc_4..7 the low nibbles of S8-11 with the top 2 bits of S0-3 above them.
     */
    private static long q4kScales(long s0to7, int s8to11) {
        int s0to3 = (int) s0to7;
        int low = s0to3 & 0x3F3F3F3F;
        int high = (s8to11 & 0x0F0F0F0F) | (((s0to3 >>> 6) & 0x03030303) << 4);
        return (low & 0xFFFFFFFFL) | ((long) high << 32);
    }

    /** The eight 6-bit mins: m_0..3 the low 6 bits of S4-7; m_4..7 the high nibbles of S8-11, top 2 bits of S4-7. */
    private static long q4kMins(long s0to7, int s8to11) {
        int s4to7 = (int) (s0to7 >>> 32);
        int low = s4to7 & 0x3F3F3F3F;
        int high = ((s8to11 >>> 4) & 0x0F0F0F0F) | (((s4to7 >>> 6) & 0x03030303) << 4);
        return (low & 0xFFFFFFFFL) | ((long) high << 32);
    }

    /** Byte b of eight packed bytes. */
    private static int byteOf(long bytes, int b) {
        return (int) (bytes >>> (8 * b)) & 0xFF;
    }

    // ---- Q6_K (ql 0:128, qh 128:64, scales 192:16 int8, d 208:2) ----------------------------------------------

    /**
     * ggml_vec_dot_q6_K_q8_K: half h (128 elements) has 64 ql bytes and 32 qh bytes; group g of it takes the low
     * (g < 2) or high nibbles of ql bytes 32·(g & 1) .. + 31 and bits 2g, 2g + 1 of the qh bytes, all in element
     * order, q = (low4 | high2 << 4) − 32. Lanes 0-3 of a group use the scale of its first 16 elements, lanes 4-7
     * the next one.
     */
    static float q6_K(MemorySegment w, long row, DotOperand x, int token) {
        return VectorLanes.WIDE ? q6_KWide(w, row, x, token) : q6_KNarrow(w, row, x, token);
    }

    static float q6_KNarrow(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / QK_K;
        if (token < 0 || (long) (token + 1) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q6_K_BYTES * blocks > w.byteSize()) {
            throw new IllegalArgumentException("a Q6_K row at byte " + row + " of " + w.byteSize() + " times token "
                    + token + " of " + x.evenOdd.length / x.cols + " (" + x.cols + " columns)");
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q6_K_BYTES * b;
            int p = b0 + b;
            long sc0 = w.get(LONG_LE, at + 192);
            long sc1 = w.get(LONG_LE, at + 200);
            IntVector sum = IntVector.zero(INTS);
            for (int h = 0; h < 2; h++) {
                IntVector qh = ByteVector.fromMemorySegment(BYTES, w, at + 128 + 32L * h, LE).reinterpretAsInts();
                for (int g = 0; g < 4; g++) {
                    // group g of half h as 32 unsigned bytes low4 | high2 << 4 (0..63) in element order
                    IntVector ql = ByteVector.fromMemorySegment(BYTES, w, at + 64L * h + 32L * (g & 1), LE)
                            .reinterpretAsInts();
                    IntVector q = (g < 2 ? ql : ql.lanewise(LSHR, 4)).and(0x0F0F0F0F)
                            .or(qh.lanewise(LSHR, 2 * g).and(0x03030303).lanewise(LSHL, 4));
                    int even = QK_K * p + kEven(4 * h + g);
                    // smallLanes of elements 2j and 2j + 1 as q − 32
                    IntVector lanes = q.reinterpretAsShorts().and((short) 0x00FF).sub((short) 32)
                            .mul(ShortVector.fromArray(SHORTS, y, even))
                            .add(q.reinterpretAsShorts().lanewise(LSHR, 8).sub((short) 32)
                                    .mul(ShortVector.fromArray(SHORTS, y, even + GROUP)))
                            .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
                    // [s_k ×4, s_{k+1} ×4]: the signed scales of the group's two 16-element halves
                    int k = 8 * h + 2 * g;
                    sum = sum.add(lanes.mul(IntVector.broadcast(INTS, q6kScale(sc0, sc1, k))
                            .blend(q6kScale(sc0, sc1, k + 1), SECOND_HALF)));
                }
            }
            acc = ((FloatVector) sum.convert(I2F, 0))
                    .fma(FloatVector.broadcast(FLOATS, dy[p] * f16(w, at + 208)), acc);
        }
        FloatVector s = acc.add(acc.rearrange(HIGH_HALF));
        FloatVector t = s.add(s.rearrange(HIGH_QUARTER));
        return t.lane(0) + t.lane(1);
    }

    /** Signed scale k (0-15) of a Q6_K super-block, from its 16 scale bytes read as two longs. */
    private static int q6kScale(long sc0, long sc1, int k) {
        return (byte) (k < 8 ? sc0 >>> (8 * k) : sc1 >>> (8 * (k - 8)));
    }

    /** Left shifts that bring byte l / 4 of an int to the top, in lane l. */
    private static final IntVector SCALE_SHIFT = IntVector.fromArray(INTS_W,
            new int[]{24, 24, 24, 24, 16, 16, 16, 16, 8, 8, 8, 8, 0, 0, 0, 0}, 0);
    /** [first 32 bytes | the same] of a 64-byte vector, as longs. */
    private static final VectorShuffle<Long> TWICE = VectorShuffle.fromValues(LongVector.SPECIES_512,
            0, 1, 2, 3, 0, 1, 2, 3);

    /** Per-half shifts of the 16-bit words [group a | group b]: ql nibble down, qh bits to bits 4-5. */
    private static final ShortVector Q4K_EVEN_SHIFT = halves((short) 0, (short) 4);
    private static final ShortVector Q4K_ODD_SHIFT = halves((short) 8, (short) 12);
    /** qh bits [0-1 | 2-3] of the low byte, and of the high byte, to bits 4-5. */
    private static final ShortVector QH_EVEN_SHIFT_LEFT = halves((short) 4, (short) 2);
    private static final ShortVector QH_ODD_SHIFT_RIGHT = halves((short) 4, (short) 6);

    private static final ShortVector LOW4 = halves((short) 0x000F, (short) 0x000F);
    private static final ShortVector BITS4_5 = halves((short) 0x0030, (short) 0x0030);
    private static final ShortVector THIRTY_TWO = halves((short) 32, (short) 32);

    private static ShortVector halves(short a, short b) {
        short[] v = new short[32];
        for (int i = 0; i < 32; i++) {
            v[i] = i < 16 ? a : b;
        }
        return ShortVector.fromArray(SHORTS_W, v, 0);
    }

    /**
     * 512-bit form: per half, one 64-byte read of the ql bytes gives groups [0 | 1] in its low nibbles and [2 | 3]
     * in its high ones; the qh bytes, read twice side by side, give bits [0-1 | 2-3] and, after a shift by 4,
     * [4-5 | 6-7]. (Written out in one method: more bytecode than C2 inlines into a hot caller, so it is compiled
     * on its own and its whole loop gets C2's inlining budget; see the class comment.)
     */
    static float q6_KWide(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / QK_K;
        if (token < 0 || (long) (token + 1) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q6_K_BYTES * blocks > w.byteSize()) {
            throw new IllegalArgumentException("a Q6_K row at byte " + row + " of " + w.byteSize() + " times token "
                    + token + " of " + x.evenOdd.length / x.cols + " (" + x.cols + " columns)");
        }
        int b0 = token * blocks;
        int[] lanes = LANES.get();
        if (lanes.length < 8 * blocks) {
            lanes = new int[8 * blocks];
            LANES.set(lanes);
        }
        q6kLanesWide(w, row, x, token, lanes);
        float[] dy = x.scales;
        if (dy.length < b0 + blocks) {
            throw new IllegalArgumentException("Q6_K: " + dy.length + " activation scales for token " + token
                    + " of " + blocks + " super-blocks (" + x.cols + " columns)");
        }
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q6_K_BYTES * b;
            acc = ((FloatVector) IntVector.fromArray(INTS, lanes, 8 * b).convert(I2F, 0))
                    .fma(FloatVector.broadcast(FLOATS, dy[b0 + b] * f16(w, at + 208)), acc);
        }
        FloatVector s = acc.add(acc.rearrange(HIGH_HALF));
        FloatVector t = s.add(s.rearrange(HIGH_QUARTER));
        return t.lane(0) + t.lane(1);
    }

    /**
     * Per-thread room for the integer lanes of one row, 8 per super-block: the wide Q6_K kernel computes them in one
     * method and FMAs them in another, since both loops in one method need more IR than C2 inlines into one
     * compilation (its vectors would then be boxed). Grown once to the longest row a thread sees.
     */
    private static final ThreadLocal<int[]> LANES = ThreadLocal.withInitial(() -> new int[8 * 64]);

    /** The folded integer lanes of each super-block of a Q6_K row into out[8b .. 8b + 7]: a kernel of its own. */
    static void q6kLanesWide(MemorySegment w, long row, DotOperand x, int token, int[] out) {
        int blocks = x.cols / QK_K;
        if (token < 0 || (long) (token + 1) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q6_K_BYTES * blocks > w.byteSize() || out.length < 8 * blocks) {
            throw new IllegalArgumentException("a Q6_K row at byte " + row + " of " + w.byteSize() + " times token "
                    + token + " of " + x.evenOdd.length / x.cols + " into " + out.length + " lanes");
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q6_K_BYTES * b;
            int p = b0 + b;
            IntVector sum = IntVector.zero(INTS_W);
            for (int i = 0; i < 4; i++) {
                // half h = i / 2; pair i % 2: groups [0 | 1] (low nibbles of ql bytes [0-31 | 32-63], qh bits
                // [0-1 | 2-3], scales 0-3), then [2 | 3] (high nibbles, qh bits [4-5 | 6-7], scales 4-7)
                int h = i >> 1;
                int pair = i & 1;
                ShortVector ql = ByteVector.fromMemorySegment(BYTES_W, w, at + 64L * h, LE).reinterpretAsShorts()
                        .lanewise(LSHR, 4 * pair);
                // the 32 qh bytes twice side by side
                ShortVector qh = ((LongVector) LongVector.fromMemorySegment(LongVector.SPECIES_256, w,
                        at + 128 + 32L * h, LE).reinterpretShape(LongVector.SPECIES_512, 0)).rearrange(TWICE)
                        .reinterpretAsShorts().lanewise(LSHR, 4 * pair);
                IntVector sc = IntVector.broadcast(INTS_W, w.get(INT_LE, at + 192 + 8L * h + 4L * pair))
                        .lanewise(LSHL, SCALE_SHIFT).lanewise(ASHR, 24);
                ShortVector qEven = ql.and(LOW4).or(qh.lanewise(LSHL, QH_EVEN_SHIFT_LEFT).and(BITS4_5)).sub(THIRTY_TWO);
                ShortVector qOdd = ql.lanewise(LSHR, 8).and(LOW4)
                        .or(qh.lanewise(LSHR, QH_ODD_SHIFT_RIGHT).and(BITS4_5)).sub(THIRTY_TWO);
                int at64 = QK_K * p + 128 * h + 64 * pair;
                // smallLanesWide
                IntVector lanes = qEven.mul(ShortVector.fromArray(SHORTS_W, y, at64))
                        .add(qOdd.mul(ShortVector.fromArray(SHORTS_W, y, at64 + 32)))
                        .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
                sum = sum.add(lanes.mul(sc));
            }
            // fold
            ((IntVector) sum.add(sum.rearrange(SWAP_HALVES)).reinterpretShape(INTS, 0)).intoArray(out, 8 * b);
        }
    }
}
