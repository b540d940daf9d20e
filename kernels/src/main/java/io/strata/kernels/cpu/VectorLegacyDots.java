package io.strata.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShuffle;

import java.lang.foreign.MemorySegment;

import static io.strata.kernels.cpu.VectorLanes.BYTES;
import static io.strata.kernels.cpu.VectorLanes.FLOATS;
import static io.strata.kernels.cpu.VectorLanes.GROUP;
import static io.strata.kernels.cpu.VectorLanes.INTS;
import static io.strata.kernels.cpu.VectorLanes.LE;
import static io.strata.kernels.cpu.VectorLanes.evenBytes;
import static io.strata.kernels.cpu.VectorLanes.f16;
import static io.strata.kernels.cpu.VectorLanes.fmaLanes;
import static io.strata.kernels.cpu.VectorLanes.hsum8;
import static io.strata.kernels.cpu.VectorLanes.lanes;
import static io.strata.kernels.cpu.VectorLanes.oddBytes;
import static io.strata.kernels.cpu.VectorLanes.smallLanes;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Vector API dot products of 32-element weight blocks with Q8_0 activations, bit-identical to the scalar
 * {@code LegacyDots} (formats.md 3.4): per block the 8 exact int32 lanes ({@link VectorLanes}), then
 * acc_t = fma(dx·dy, lane_t, acc_t) and {@code hsum8}; the repacked Q4_0 GEMV instead adds one block sum per block,
 * acc = fma((float) isum, dx·dy, acc).
 *
 * <p>Each kernel has a single-token form and a two-token tile ({@code …x2}) that decodes every weight block once
 * and gives each token its own accumulators, updated in the same order, so a token's result does not depend on
 * its tile. Token t reads activation blocks from t·cols/32; results of a tile go to out[o + i·stride].
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
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q8_0_BYTES * b;
            ShortVector q = q8_0Quants(w, at);
            acc = fmaLanes(f16(w, at) * dy[b0 + b], lanes(evenBytes(q), oddBytes(q), y, GROUP * (b0 + b)), acc);
        }
        return hsum8(acc);
    }

    static void q8_0x2(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        int blocks = x.cols / GROUP;
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = acc0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q8_0_BYTES * b;
            float dx = f16(w, at);
            ShortVector q = q8_0Quants(w, at);
            ShortVector even = evenBytes(q);
            ShortVector odd = oddBytes(q);
            int p = b0 + b;
            acc0 = fmaLanes(dx * dy[p], lanes(even, odd, y, GROUP * p), acc0);
            p += blocks;
            acc1 = fmaLanes(dx * dy[p], lanes(even, odd, y, GROUP * p), acc1);
        }
        out[o] = hsum8(acc0);
        out[o + stride] = hsum8(acc1);
    }

    /** The 32 signed quants of the block at {@code at}, read as 16 shorts. */
    private static ShortVector q8_0Quants(MemorySegment w, long at) {
        return jdk.incubator.vector.ByteVector.fromMemorySegment(BYTES, w, at + 2, LE).reinterpretAsShorts();
    }

    // ---- Q4_0 (block: d 0:2, qs 2:16; byte j = element j low nibble, j + 16 high) -------------------------------

    /** ggml_vec_dot_q4_0_q8_0: acc_t = fma(dx·dy, Σ(q − 8)·y, acc_t). */
    static float q4_0(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / GROUP;
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            IntVector n = nibbles(w, at + 2);
            acc = fmaLanes(f16(w, at) * dy[b0 + b], smallLanes(evenQ4_0(n), oddQ4_0(n), y, GROUP * (b0 + b)), acc);
        }
        return hsum8(acc);
    }

    static void q4_0x2(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        int blocks = x.cols / GROUP;
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = acc0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            float dx = f16(w, at);
            IntVector n = nibbles(w, at + 2);
            ShortVector even = evenQ4_0(n);
            ShortVector odd = oddQ4_0(n);
            int p = b0 + b;
            acc0 = fmaLanes(dx * dy[p], smallLanes(even, odd, y, GROUP * p), acc0);
            p += blocks;
            acc1 = fmaLanes(dx * dy[p], smallLanes(even, odd, y, GROUP * p), acc1);
        }
        out[o] = hsum8(acc0);
        out[o + stride] = hsum8(acc1);
    }

    /**
     * ggml_gemv_q4_0_8x8_q8_0, the repacked GEMV of Q4_0 matrices with rows % 8 == 0 (formats.md 3.4): one float
     * accumulator, acc = fma((float) isum, dx·dy, acc) block by block. The block sum is exact in any order.
     */
    static float q4_0Repacked(MemorySegment w, long row, DotOperand x, int token) {
        int blocks = x.cols / GROUP;
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        float acc = 0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            IntVector n = nibbles(w, at + 2);
            int isum = smallLanes(evenQ4_0(n), oddQ4_0(n), y, GROUP * (b0 + b)).reduceLanes(ADD);
            acc = Math.fma((float) isum, f16(w, at) * dy[b0 + b], acc);
        }
        return acc;
    }

    static void q4_0Repackedx2(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        int blocks = x.cols / GROUP;
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        float acc0 = 0;
        float acc1 = 0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            float dx = f16(w, at);
            IntVector n = nibbles(w, at + 2);
            ShortVector even = evenQ4_0(n);
            ShortVector odd = oddQ4_0(n);
            int p = b0 + b;
            acc0 = Math.fma((float) smallLanes(even, odd, y, GROUP * p).reduceLanes(ADD), dx * dy[p], acc0);
            p += blocks;
            acc1 = Math.fma((float) smallLanes(even, odd, y, GROUP * p).reduceLanes(ADD), dx * dy[p], acc1);
        }
        out[o] = acc0;
        out[o + stride] = acc1;
    }

    /**
     * The 16 quant bytes at {@code qs} as 8 ints, each nibble in its own byte's low half: ints 0-3 keep the low
     * nibbles (elements 0-15), ints 4-7 a second copy shifted right by 4 (elements 16-31). Only the low nibble of
     * each byte is meaningful; the even/odd masks below drop the rest. This is llama.cpp's bytes_from_nibbles_32.
     */
    private static IntVector nibbles(MemorySegment w, long qs) {
        LongVector half = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, qs, LE);
        LongVector both = ((LongVector) half.reinterpretShape(LongVector.SPECIES_256, 0)).rearrange(TWICE);
        return both.reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT);
    }

    /** Elements 2j (bytes 0 and 2 of each int), as q − 8. */
    private static ShortVector evenQ4_0(IntVector nibbles) {
        return nibbles.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
    }

    /** Elements 2j + 1 (bytes 1 and 3 of each int), as q − 8. */
    private static ShortVector oddQ4_0(IntVector nibbles) {
        return nibbles.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
    }
}
