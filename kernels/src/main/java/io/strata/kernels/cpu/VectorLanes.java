package io.strata.kernels.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * The building blocks of the Vector API dot products: the vector form of the scalar reference's {@code Lanes}.
 *
 * <p>An AVX2 llama.cpp sums the integer products of a 32-element group into 8 exact int32 lanes, lane t holding the
 * elements e with (e mod 32) / 4 = t, then FMAs lane t into float accumulator t (formats.md 3.4). A 256-bit vector
 * holds exactly those 8 lanes, so every kernel here computes the same lanes and the same float steps, only 8 at a
 * time; the species are fixed at 256 bits for that reason, whatever the hardware prefers.
 *
 * <p>The Vector API has no byte multiply-add (AVX2's maddubs + madd), so the int32 lanes come from 16-bit
 * multiplies: the 32 weight quants of a group are taken as two vectors of 16 shorts, the even elements (short j =
 * element 2j) and the odd ones (short j = element 2j + 1); a 32-byte vector read as 16 shorts gives both with a
 * shift or a mask. The activations are stored split the same way once per matmul ({@link #splitEvenOdd}).
 * Then even·yEven + odd·yOdd holds in short j the pair sum of elements 2j and 2j + 1, and read as 8 ints, int t
 * holds the pair sums of elements 4t, 4t + 1 (low half) and 4t + 2, 4t + 3 (high half): adding the two halves gives
 * lane t. The integer sums are exact, so this equals the reference lane for lane.
 */
final class VectorLanes {
    static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_256;
    static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> INTS = IntVector.SPECIES_256;
    static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_256;

    /**
     * The 512-bit species for the integer part of the wide kernels: 16 int lanes = the 8 lanes of two groups side by
     * side, folded back to 8 before the float steps, which stay 256-bit (8 accumulators, as the reference).
     */
    static final VectorSpecies<Byte> BYTES_W = ByteVector.SPECIES_512;
    static final VectorSpecies<Short> SHORTS_W = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> INTS_W = IntVector.SPECIES_512;

    /**
     * Whether the wide (512-bit integer) kernels run: the hardware's preferred vectors are at least 512 bits
     * (AVX-512), unless {@code -Dstrata.vector.narrow=true}. Both forms give the same bits; the 256-bit one is what
     * AVX2 machines run (where 512-bit vectors would be emulated).
     */
    static final boolean WIDE = IntVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            && !Boolean.getBoolean("strata.vector.narrow");

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** Elements in a group whose products fill one set of 8 lanes. */
    static final int GROUP = 32;

    private VectorLanes() {
    }

    /**
     * The 8 lanes of one group: lane t = Σ_{k<4} q[4t + k]·y[4t + k], with q given as its even and odd elements
     * (16-bit, |q| ≤ 128) and y read from the split activations at {@code p} (a multiple of 32). Each pair sum
     * |q·y + q'·y'| ≤ 2·128·127 fits a short because activation quants never reach −128 (formats.md 3.2: amax maps to
     * ±127); the lane sum is formed in 32 bits.
     */
    static IntVector lanes(ShortVector even, ShortVector odd, short[] y, int p) {
        IntVector pairs = pairSums(even, odd, y, p).reinterpretAsInts();
        return pairs.lanewise(ASHR, 16).add(pairs.lanewise(LSHL, 16).lanewise(ASHR, 16));
    }

    /**
     * {@link #lanes} for weights small enough that a whole lane fits 16 bits (|lane| ≤ 4·|q|max·127 < 2^15: every
     * type but Q8_0): multiplying int t by 0x10001 adds its low half into its high half, and an arithmetic shift
     * brings the sum down, two instructions instead of four.
     */
    static IntVector smallLanes(ShortVector even, ShortVector odd, short[] y, int p) {
        IntVector pairs = pairSums(even, odd, y, p).reinterpretAsInts();
        return pairs.mul(0x10001).lanewise(ASHR, 16);
    }

    /** {@link #smallLanes} with the even activations at {@code pEven} and the odd ones at {@code pOdd}. */
    static IntVector smallLanes(ShortVector even, ShortVector odd, short[] y, int pEven, int pOdd) {
        ShortVector pairs = even.mul(ShortVector.fromArray(SHORTS, y, pEven))
                .add(odd.mul(ShortVector.fromArray(SHORTS, y, pOdd)));
        return pairs.reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
    }

    /**
     * The 512-bit {@link #smallLanes}: even and odd hold two groups' elements side by side ([group A | group B], 16
     * shorts each), the activations read at pEven and pOdd in the same arrangement; gives [A's 8 lanes | B's].
     */
    static IntVector smallLanesWide(ShortVector even, ShortVector odd, short[] y, int pEven, int pOdd) {
        ShortVector pairs = even.mul(ShortVector.fromArray(SHORTS_W, y, pEven))
                .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, pOdd)));
        return pairs.reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
    }

    static final VectorShuffle<Integer> SWAP_HALVES = VectorShuffle.fromValues(INTS_W,
            8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    /** Lanes 8-15 of a 16-int vector. */
    static final VectorMask<Integer> HIGH_HALF_W = VectorMask.fromLong(INTS_W, 0xFF00L);

    /** 16 int lanes [A | B] folded to 8: A + B, lane by lane (exact). */
    static IntVector fold(IntVector wide) {
        return (IntVector) wide.add(wide.rearrange(SWAP_HALVES)).reinterpretShape(INTS, 0);
    }

    /** [a ×8 | b ×8]. */
    static IntVector halvesOf(int a, int b) {
        return IntVector.broadcast(INTS_W, a).blend(b, HIGH_HALF_W);
    }

    /** Short j = q[2j]·y[2j] + q[2j + 1]·y[2j + 1]. */
    static ShortVector pairSums(ShortVector even, ShortVector odd, short[] y, int p) {
        ShortVector yEven = ShortVector.fromArray(SHORTS, y, p);
        ShortVector yOdd = ShortVector.fromArray(SHORTS, y, p + 16);
        return even.mul(yEven).add(odd.mul(yOdd));
    }

    /** The even elements of 32 signed bytes read as 16 shorts: the low byte of each short, sign-extended. */
    static ShortVector evenBytes(ShortVector q) {
        return q.lanewise(LSHL, 8).lanewise(ASHR, 8);
    }

    /** The odd elements of 32 signed bytes read as 16 shorts: the high byte of each short, sign-extended. */
    static ShortVector oddBytes(ShortVector q) {
        return q.lanewise(ASHR, 8);
    }

    /** Lanes as floats, the {@code _mm256_cvtepi32_ps} before the FMA (exact: |lane| < 2^24). */
    static FloatVector toFloats(IntVector lanes) {
        return (FloatVector) lanes.convert(jdk.incubator.vector.VectorOperators.I2F, 0);
    }

    /** acc_t = fma(scale, lane_t, acc_t) for all 8 lanes. */
    static FloatVector fmaLanes(float scale, IntVector lanes, FloatVector acc) {
        return toFloats(lanes).fma(FloatVector.broadcast(FLOATS, scale), acc);
    }

    /** Lane i + 4 moved to lane i, and lane i + 2 moved to lane i: the two folding steps of {@link #hsum8}. */
    static final VectorShuffle<Float> HIGH_HALF = VectorShuffle.fromValues(FLOATS, 4, 5, 6, 7, 0, 1, 2, 3);
    static final VectorShuffle<Float> HIGH_QUARTER = VectorShuffle.fromValues(FLOATS, 2, 3, 0, 1, 6, 7, 4, 5);

    /**
     * {@code hsum_float_8}: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)), as the scalar {@code Lanes.hsum8}:
     * s_i = a_i + a_{i+4}, then t_i = s_i + s_{i+2}, then t_0 + t_1.
     */
    static float hsum8(FloatVector a) {
        FloatVector s = a.add(a.rearrange(HIGH_HALF));
        FloatVector t = s.add(s.rearrange(HIGH_QUARTER));
        return t.lane(0) + t.lane(1);
    }

    /**
     * {@link #hsum8} from the 8 lanes read one by one, the same additions in the same order: less IR than the two
     * shuffles, for the wide kernels whose loops use up most of C2's inlining budget.
     */
    static float hsum8Lanes(FloatVector a) {
        return ((a.lane(0) + a.lane(4)) + (a.lane(2) + a.lane(6))) + ((a.lane(1) + a.lane(5)) + (a.lane(3) + a.lane(7)));
    }

    /**
     * An F16 field (a block scale) widened to f32, through a table of all 65536 widenings (256 KiB, as ggml's
     * {@code ggml_table_f32_f16}): a kernel widens one scale per block, and two loads cost less there than
     * {@link Float#float16ToFloat}'s register moves and conversion (the Q8_0 kernel ran 10% faster in cache). The
     * table holds {@link Float#float16ToFloat}'s own results, so every bit pattern widens as before.
     */
    static float f16(MemorySegment w, long offset) {
        return F16_TO_F32[w.get(SHORT_LE, offset) & 0xFFFF];
    }

    private static final float[] F16_TO_F32 = new float[1 << 16];

    static {
        for (int h = 0; h < F16_TO_F32.length; h++) {
            F16_TO_F32[h] = Float.float16ToFloat((short) h);
        }
    }

    /**
     * Offset of the even activations of 32-element group g in the {@link #splitKQuant} order (from the start of the
     * super-block, or of any 64-element-aligned span with g counted from it); the odd ones follow 32 shorts later.
     */
    static int kEven(int g) {
        return 64 * (g >> 1) + 16 * (g & 1);
    }

    /**
     * Rewrites Q8_K quants for the K-quant kernels: per 64 elements (groups A and B of 32), 16 shorts each of A's
     * even elements, B's even, A's odd, B's odd ({@link #kEven}). A 512-bit read then gives [A | B] even or odd
     * elements: the two groups that the low and high nibbles of one 32-byte Q4_K chunk hold, or the low (high)
     * nibbles of the 64 ql bytes of a Q6_K half. {@code n} is a multiple of 64.
     */
    static void splitKQuant(byte[] q, int n, short[] out) {
        for (int g = 0; g < n / GROUP; g++) {
            int from = GROUP * g;
            int to = 64 * (g >> 1) + kEven(g & 1);
            for (int j = 0; j < 16; j++) {
                out[to + j] = q[from + 2 * j];
                out[to + 32 + j] = q[from + 2 * j + 1];
            }
        }
    }

    /**
     * Rewrites int8 quants for {@link #lanes}: per 32-element group, the 16 even elements then the 16 odd ones,
     * widened to shorts. {@code n} is a multiple of 32.
     */
    static void splitEvenOdd(byte[] q, int n, short[] out) {
        for (int g = 0; g < n; g += GROUP) {
            for (int j = 0; j < 16; j++) {
                out[g + j] = q[g + 2 * j];
                out[g + 16 + j] = q[g + 2 * j + 1];
            }
        }
    }
}
