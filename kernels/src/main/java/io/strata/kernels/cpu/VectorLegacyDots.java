package io.strata.kernels.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShuffle;

import java.lang.foreign.MemorySegment;

import static io.strata.kernels.cpu.VectorLanes.BYTES;
import static io.strata.kernels.cpu.VectorLanes.FLOATS;
import static io.strata.kernels.cpu.VectorLanes.GROUP;
import static io.strata.kernels.cpu.VectorLanes.HIGH_HALF;
import static io.strata.kernels.cpu.VectorLanes.HIGH_QUARTER;
import static io.strata.kernels.cpu.VectorLanes.INTS;
import static io.strata.kernels.cpu.VectorLanes.LE;
import static io.strata.kernels.cpu.VectorLanes.SHORTS;
import static io.strata.kernels.cpu.VectorLanes.f16;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Vector API dot products of 32-element weight blocks with Q8_0 activations, bit-identical to the scalar
 * {@code LegacyDots} (formats.md 3.4): per block the 8 exact int32 lanes ({@link VectorLanes#lanes}), then
 * acc_t = fma(dx·dy, lane_t, acc_t) and {@code hsum8}; the repacked Q4_0 GEMV instead adds one block sum per block,
 * acc = fma((float) isum, dx·dy, acc).
 *
 * <p>Each kernel has a single-token form and a two-token tile ({@code …x2}) that decodes every weight block once
 * and gives each token its own accumulators, updated in the same order, so a token's result does not depend on
 * its tile. Token t reads activation blocks from t·cols/32; results of a tile go to out[o + i·stride].
 *
 * <p>Every kernel is a compilation boundary ({@link RowKernel}): one method with its steps written out (the
 * {@link VectorLanes} building blocks, spelled inline) and its argument checks written out, so C2 compiles it on
 * its own and never next to another kernel. The comments name the building block each line spells.
 */
final class VectorLegacyDots {
    private static final int Q8_0_BYTES = 34;
    private static final int Q4_0_BYTES = 18;

    /** Both 8-byte halves of a Q4_0 block's 16 quant bytes, twice: [qs 0-15, qs 0-15] as four longs. */
    private static final VectorShuffle<Long> TWICE = VectorShuffle.fromValues(LongVector.SPECIES_256, 0, 1, 0, 1);
    /** Shifts that bring the high nibbles of the second copy down: ints 4-7 hold elements 16-31. */
    private static final IntVector NIBBLE_SHIFT = IntVector.fromArray(INTS, new int[]{0, 0, 0, 0, 4, 4, 4, 4}, 0);
    /** The low nibble of each short. */
    private static final int LOW_NIBBLE_OF_SHORTS = 0x000F000F;

    private VectorLegacyDots() {
    }

    // ---- Q8_0 (block: d 0:2, qs 2:32 signed) ------------------------------------------------------------------

    static float q8_0(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / GROUP;
        if (token < 0 || (long) (token + 1) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q8_0_BYTES * blocks > w.byteSize()) {
            throw new IllegalArgumentException("a Q8_0 row at byte " + row + " of " + w.byteSize() + " times token "
                    + token + " of " + x.evenOdd.length / x.cols + " (" + x.cols + " columns)");
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q8_0_BYTES * b;
            int p = b0 + b;
            // the 32 quants as 16 shorts, split: even = low byte sign-extended, odd = high byte
            ShortVector q = ByteVector.fromMemorySegment(BYTES, w, at + 2, LE).reinterpretAsShorts();
            ShortVector even = q.lanewise(LSHL, 8).lanewise(ASHR, 8);
            ShortVector odd = q.lanewise(ASHR, 8);
            // lanes: pair sums, then the two halves of each int added (the Q8_0 form, lanes exceed 16 bits)
            IntVector pairs = even.mul(ShortVector.fromArray(SHORTS, y, GROUP * p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS, y, GROUP * p + 16))).reinterpretAsInts();
            IntVector lanes = pairs.lanewise(ASHR, 16).add(pairs.lanewise(LSHL, 16).lanewise(ASHR, 16));
            // fmaLanes
            acc = ((FloatVector) lanes.convert(I2F, 0)).fma(FloatVector.broadcast(FLOATS, f16(w, at) * dy[p]), acc);
        }
        // hsum8
        FloatVector s = acc.add(acc.rearrange(HIGH_HALF));
        FloatVector t = s.add(s.rearrange(HIGH_QUARTER));
        return t.lane(0) + t.lane(1);
    }

    /**
     * Two rows times one token, both rows' blocks read in the same loop: rowA's result to out[oA], rowB's to
     * out[oB], each with the single-row bits. For decode, where the weights stream from memory: two rows far apart
     * are two streams the prefetchers follow at once, which one row's stream alone does not keep busy (one thread
     * read a 557 MB Q8_0 matrix at 4.8 GB/s row by row, at 7.5 GB/s in pairs half the matrix apart, 2026-12-01).
     */
    static void q8_0Pair(MemorySegment w, long rowA, long rowB, DotOperand x, int token, float[] out, int oA, int oB) {
        int blocks = x.cols / GROUP;
        if (token < 0 || (long) (token + 1) * x.cols > x.evenOdd.length || rowA < 0 || rowB < 0
                || rowA + (long) Q8_0_BYTES * blocks > w.byteSize() || rowB + (long) Q8_0_BYTES * blocks > w.byteSize()
                || oA < 0 || oA >= out.length || oB < 0 || oB >= out.length) {
            throw new IllegalArgumentException("Q8_0 rows at bytes " + rowA + " and " + rowB + " of " + w.byteSize()
                    + " times token " + token + " of " + x.evenOdd.length / x.cols + " (" + x.cols
                    + " columns) to out[" + oA + "], out[" + oB + "] of " + out.length);
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector accA = FloatVector.zero(FLOATS);
        FloatVector accB = accA;
        for (int b = 0; b < blocks; b++) {
            long atA = rowA + (long) Q8_0_BYTES * b;
            long atB = rowB + (long) Q8_0_BYTES * b;
            int p = b0 + b;
            ShortVector yEven = ShortVector.fromArray(SHORTS, y, GROUP * p);
            ShortVector yOdd = ShortVector.fromArray(SHORTS, y, GROUP * p + 16);
            float d = dy[p];
            // row A: the even/odd split, lanes and fmaLanes of q8_0
            ShortVector qA = ByteVector.fromMemorySegment(BYTES, w, atA + 2, LE).reinterpretAsShorts();
            IntVector pairsA = qA.lanewise(LSHL, 8).lanewise(ASHR, 8).mul(yEven)
                    .add(qA.lanewise(ASHR, 8).mul(yOdd)).reinterpretAsInts();
            IntVector lanesA = pairsA.lanewise(ASHR, 16).add(pairsA.lanewise(LSHL, 16).lanewise(ASHR, 16));
            accA = ((FloatVector) lanesA.convert(I2F, 0)).fma(FloatVector.broadcast(FLOATS, f16(w, atA) * d), accA);
            // row B
            ShortVector qB = ByteVector.fromMemorySegment(BYTES, w, atB + 2, LE).reinterpretAsShorts();
            IntVector pairsB = qB.lanewise(LSHL, 8).lanewise(ASHR, 8).mul(yEven)
                    .add(qB.lanewise(ASHR, 8).mul(yOdd)).reinterpretAsInts();
            IntVector lanesB = pairsB.lanewise(ASHR, 16).add(pairsB.lanewise(LSHL, 16).lanewise(ASHR, 16));
            accB = ((FloatVector) lanesB.convert(I2F, 0)).fma(FloatVector.broadcast(FLOATS, f16(w, atB) * d), accB);
        }
        // hsum8, twice
        FloatVector sA = accA.add(accA.rearrange(HIGH_HALF));
        FloatVector tA = sA.add(sA.rearrange(HIGH_QUARTER));
        out[oA] = tA.lane(0) + tA.lane(1);
        FloatVector sB = accB.add(accB.rearrange(HIGH_HALF));
        FloatVector tB = sB.add(sB.rearrange(HIGH_QUARTER));
        out[oB] = tB.lane(0) + tB.lane(1);
    }

    static void q8_0x2(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        int blocks = x.cols / GROUP;
        if (token < 0 || (long) (token + 2) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q8_0_BYTES * blocks > w.byteSize() || o < 0 || stride < 0
                || (long) o + stride >= out.length) {
            throw new IllegalArgumentException("a Q8_0 row at byte " + row + " of " + w.byteSize()
                    + " times tokens " + token + ", " + (token + 1) + " of " + x.evenOdd.length / x.cols
                    + " to out[" + o + " + i·" + stride + "] of " + out.length);
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = acc0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q8_0_BYTES * b;
            float dx = f16(w, at);
            ShortVector q = ByteVector.fromMemorySegment(BYTES, w, at + 2, LE).reinterpretAsShorts();
            ShortVector even = q.lanewise(LSHL, 8).lanewise(ASHR, 8);
            ShortVector odd = q.lanewise(ASHR, 8);
            int p = b0 + b;
            IntVector pairs0 = even.mul(ShortVector.fromArray(SHORTS, y, GROUP * p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS, y, GROUP * p + 16))).reinterpretAsInts();
            IntVector lanes0 = pairs0.lanewise(ASHR, 16).add(pairs0.lanewise(LSHL, 16).lanewise(ASHR, 16));
            acc0 = ((FloatVector) lanes0.convert(I2F, 0)).fma(FloatVector.broadcast(FLOATS, dx * dy[p]), acc0);
            p += blocks;
            IntVector pairs1 = even.mul(ShortVector.fromArray(SHORTS, y, GROUP * p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS, y, GROUP * p + 16))).reinterpretAsInts();
            IntVector lanes1 = pairs1.lanewise(ASHR, 16).add(pairs1.lanewise(LSHL, 16).lanewise(ASHR, 16));
            acc1 = ((FloatVector) lanes1.convert(I2F, 0)).fma(FloatVector.broadcast(FLOATS, dx * dy[p]), acc1);
        }
        FloatVector s0 = acc0.add(acc0.rearrange(HIGH_HALF));
        FloatVector t0 = s0.add(s0.rearrange(HIGH_QUARTER));
        out[o] = t0.lane(0) + t0.lane(1);
        FloatVector s1 = acc1.add(acc1.rearrange(HIGH_HALF));
        FloatVector t1 = s1.add(s1.rearrange(HIGH_QUARTER));
        out[o + stride] = t1.lane(0) + t1.lane(1);
    }

    // ---- Q4_0 (block: d 0:2, qs 2:16; byte j = element j low nibble, j + 16 high) -------------------------------
    //
    // The nibbles: the 16 quant bytes as 8 ints, each nibble in its own byte's low half: ints 0-3 keep the low
    // nibbles (elements 0-15), ints 4-7 a second copy shifted right by 4 (elements 16-31); only the low nibble of
    // each byte is meaningful, the even/odd masks drop the rest (llama.cpp's bytes_from_nibbles_32). Even elements
    // (bytes 0 and 2 of each int) and odd ones (bytes 1 and 3) as q − 8; their lanes fit 16 bits (smallLanes).

    /** ggml_vec_dot_q4_0_q8_0: acc_t = fma(dx·dy, Σ(q − 8)·y, acc_t). */
    static float q4_0(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / GROUP;
        if (token < 0 || (long) (token + 1) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q4_0_BYTES * blocks > w.byteSize()) {
            throw new IllegalArgumentException("a Q4_0 row at byte " + row + " of " + w.byteSize() + " times token "
                    + token + " of " + x.evenOdd.length / x.cols + " (" + x.cols + " columns)");
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            int p = b0 + b;
            IntVector n = ((LongVector) LongVector.fromMemorySegment(LongVector.SPECIES_128, w, at + 2, LE)
                    .reinterpretShape(LongVector.SPECIES_256, 0)).rearrange(TWICE)
                    .reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT);
            ShortVector even = n.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            ShortVector odd = n.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            IntVector lanes = even.mul(ShortVector.fromArray(SHORTS, y, GROUP * p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS, y, GROUP * p + 16))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16);
            acc = ((FloatVector) lanes.convert(I2F, 0)).fma(FloatVector.broadcast(FLOATS, f16(w, at) * dy[p]), acc);
        }
        FloatVector s = acc.add(acc.rearrange(HIGH_HALF));
        FloatVector t = s.add(s.rearrange(HIGH_QUARTER));
        return t.lane(0) + t.lane(1);
    }

    static void q4_0x2(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        int blocks = x.cols / GROUP;
        if (token < 0 || (long) (token + 2) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q4_0_BYTES * blocks > w.byteSize() || o < 0 || stride < 0
                || (long) o + stride >= out.length) {
            throw new IllegalArgumentException("a Q4_0 row at byte " + row + " of " + w.byteSize()
                    + " times tokens " + token + ", " + (token + 1) + " of " + x.evenOdd.length / x.cols
                    + " to out[" + o + " + i·" + stride + "] of " + out.length);
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = acc0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            float dx = f16(w, at);
            IntVector n = ((LongVector) LongVector.fromMemorySegment(LongVector.SPECIES_128, w, at + 2, LE)
                    .reinterpretShape(LongVector.SPECIES_256, 0)).rearrange(TWICE)
                    .reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT);
            ShortVector even = n.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            ShortVector odd = n.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            int p = b0 + b;
            IntVector lanes0 = even.mul(ShortVector.fromArray(SHORTS, y, GROUP * p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS, y, GROUP * p + 16))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16);
            acc0 = ((FloatVector) lanes0.convert(I2F, 0)).fma(FloatVector.broadcast(FLOATS, dx * dy[p]), acc0);
            p += blocks;
            IntVector lanes1 = even.mul(ShortVector.fromArray(SHORTS, y, GROUP * p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS, y, GROUP * p + 16))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16);
            acc1 = ((FloatVector) lanes1.convert(I2F, 0)).fma(FloatVector.broadcast(FLOATS, dx * dy[p]), acc1);
        }
        FloatVector s0 = acc0.add(acc0.rearrange(HIGH_HALF));
        FloatVector t0 = s0.add(s0.rearrange(HIGH_QUARTER));
        out[o] = t0.lane(0) + t0.lane(1);
        FloatVector s1 = acc1.add(acc1.rearrange(HIGH_HALF));
        FloatVector t1 = s1.add(s1.rearrange(HIGH_QUARTER));
        out[o + stride] = t1.lane(0) + t1.lane(1);
    }

    /**
     * ggml_gemv_q4_0_8x8_q8_0, the repacked GEMV of Q4_0 matrices with rows % 8 == 0 (formats.md 3.4): one float
     * accumulator, acc = fma((float) isum, dx·dy, acc) block by block. The block sum is exact in any order.
     */
    static float q4_0Repacked(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / GROUP;
        if (token < 0 || (long) (token + 1) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q4_0_BYTES * blocks > w.byteSize()) {
            throw new IllegalArgumentException("a repacked Q4_0 row at byte " + row + " of " + w.byteSize()
                    + " times token " + token + " of " + x.evenOdd.length / x.cols + " (" + x.cols + " columns)");
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        float acc = 0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            int p = b0 + b;
            IntVector n = ((LongVector) LongVector.fromMemorySegment(LongVector.SPECIES_128, w, at + 2, LE)
                    .reinterpretShape(LongVector.SPECIES_256, 0)).rearrange(TWICE)
                    .reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT);
            ShortVector even = n.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            ShortVector odd = n.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            int isum = even.mul(ShortVector.fromArray(SHORTS, y, GROUP * p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS, y, GROUP * p + 16))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).reduceLanes(ADD);
            acc = Math.fma((float) isum, f16(w, at) * dy[p], acc);
        }
        return acc;
    }

    static void q4_0Repackedx2(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        int blocks = x.cols / GROUP;
        if (token < 0 || (long) (token + 2) * x.cols > x.evenOdd.length || row < 0
                || row + (long) Q4_0_BYTES * blocks > w.byteSize() || o < 0 || stride < 0
                || (long) o + stride >= out.length) {
            throw new IllegalArgumentException("a repacked Q4_0 row at byte " + row + " of " + w.byteSize()
                    + " times tokens " + token + ", " + (token + 1) + " of " + x.evenOdd.length / x.cols
                    + " to out[" + o + " + i·" + stride + "] of " + out.length);
        }
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        float acc0 = 0;
        float acc1 = 0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            float dx = f16(w, at);
            IntVector n = ((LongVector) LongVector.fromMemorySegment(LongVector.SPECIES_128, w, at + 2, LE)
                    .reinterpretShape(LongVector.SPECIES_256, 0)).rearrange(TWICE)
                    .reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT);
            ShortVector even = n.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            ShortVector odd = n.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            int p = b0 + b;
            int isum0 = even.mul(ShortVector.fromArray(SHORTS, y, GROUP * p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS, y, GROUP * p + 16))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).reduceLanes(ADD);
            acc0 = Math.fma((float) isum0, dx * dy[p], acc0);
            p += blocks;
            int isum1 = even.mul(ShortVector.fromArray(SHORTS, y, GROUP * p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS, y, GROUP * p + 16))).reinterpretAsInts()
                    .mul(0x10001).lanewise(ASHR, 16).reduceLanes(ADD);
            acc1 = Math.fma((float) isum1, dx * dy[p], acc1);
        }
        out[o] = acc0;
        out[o + stride] = acc1;
    }
}
