package io.strata.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static io.strata.kernels.cpu.VectorLanes.FLOATS;
import static io.strata.kernels.cpu.VectorLanes.GROUP;
import static io.strata.kernels.cpu.VectorLanes.INTS;
import static io.strata.kernels.cpu.VectorLanes.INTS_W;
import static io.strata.kernels.cpu.VectorLanes.LE;
import static io.strata.kernels.cpu.VectorLanes.SHORTS_W;
import static io.strata.kernels.cpu.VectorLanes.f16;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Matrix-matrix tiles of the Q8_0-activation types (Q8_0, Q4_0, repacked Q4_0) for the wide (512-bit) machines:
 * one weight row times a tile of tokens, each weight block loaded and unpacked once for the whole tile, the tokens
 * taken in pairs, one token per 256-bit half of each vector ({@link DotOperand#pairQuants}: [token 2k | token
 * 2k + 1] side by side). Every half computes exactly the 8 int32 lanes and float steps of the single-token kernel
 * ({@link VectorLegacyDots}), lane-wise, so every (row, token) result has the single-token bits: the tile shares
 * the weights' loading and unpacking, never an accumulator, and changes no summation order.
 *
 * <p>The tiles take 8 tokens from a token index that is a multiple of 8 (the pair layout and, for the
 * repacked GEMV, the 8-token scale layout {@link DotOperand#octetScales} are aligned that way). Each kernel is one
 * method small enough for C2 to compile whole with its vectors in registers (NodeCountInliningCutoff).
 */
final class VectorTileDots {
    private static final VectorSpecies<Float> FLOATS_W = FloatVector.SPECIES_512;
    private static final int Q8_0_BYTES = 34;
    private static final int Q4_0_BYTES = 18;

    /** Tokens per large tile. */
    static final int TILE = 8;
    /** Tokens per small tile: the batches of 4-7 decode tokens a few running sequences make. */
    static final int SMALL_TILE = 4;

    /** The 32 quant bytes of a block, twice: [qs 0-31 | qs 0-31] as longs. */
    private static final VectorShuffle<Long> TWICE_256 = VectorShuffle.fromValues(LongVector.SPECIES_512,
            0, 1, 2, 3, 0, 1, 2, 3);
    /** The 16 quant bytes of a Q4_0 block, four times. */
    private static final VectorShuffle<Long> FOUR_TIMES_128 = VectorShuffle.fromValues(LongVector.SPECIES_512,
            0, 1, 0, 1, 0, 1, 0, 1);
    /** Per 256-bit half: ints 0-3 the low nibbles (elements 0-15), ints 4-7 the high ones (16-31). */
    private static final IntVector NIBBLE_SHIFT_W = IntVector.fromArray(INTS_W,
            new int[]{0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0, 4, 4, 4, 4}, 0);
    private static final int LOW_NIBBLE_OF_SHORTS = 0x000F000F;

    private VectorTileDots() {
    }

    // ---- Q8_0 ----------------------------------------------------------------------------------------------------

    /**
     * Q8_0 rows (ggml_vec_dot_q8_0_q8_0) for tokens token .. token + 7 (token a multiple of 8): token + i's result
     * goes to out[o + i·stride]. Per token pair and block, the 8 lanes of each
     * token ({@link VectorLanes#lanes}: the Q8_0 form, whose lanes exceed 16 bits), then acc = fma(lanes, dx·dy,
     * acc) in each half. (Each step written out: a helper that takes and returns vectors, once C2 has compiled it
     * on its own, is no longer inlined, and its vectors become objects.)
     */
    static void q8_0Tile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        // the checks of the tile, written out here: they also keep each tile kernel above C2's FreqInlineSize (325
        // bytecodes), so it is compiled on its own with the whole inlining budget, never inside its caller next to
        // the other kernels of the type (whose vectors would then be boxed)
        if (x.pairQuants == null || token < 0 || token % TILE != 0 || token + TILE > x.pairTokens) {
            throw new IllegalArgumentException("a tile of " + TILE + " tokens at token " + token
                    + " is not in the pair layout (" + x.pairTokens + " tokens)");
        }
        Objects.checkFromIndexSize(o, (TILE - 1) * stride + 1, out.length);
        int blocks = x.cols / GROUP;
        short[] y = x.pairQuants;
        float[] ys = x.pairScales;
        int k0 = (token >> 1) * blocks;
        FloatVector a0 = FloatVector.zero(FLOATS_W);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q8_0_BYTES * b;
            FloatVector dx = FloatVector.broadcast(FLOATS_W, f16(w, at));
            LongVector qs = LongVector.fromMemorySegment(LongVector.SPECIES_256, w, at + 2, LE);
            ShortVector q = ((LongVector) qs.reinterpretShape(LongVector.SPECIES_512, 0)).rearrange(TWICE_256)
                    .reinterpretAsShorts();
            ShortVector even = q.lanewise(LSHL, 8).lanewise(ASHR, 8);
            ShortVector odd = q.lanewise(ASHR, 8);
            int p = k0 + b;
            IntVector i0 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p) + 32))).reinterpretAsInts();
            a0 = ((FloatVector) i0.lanewise(ASHR, 16).add(i0.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p))), a0);
            IntVector i1 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + blocks)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + blocks) + 32))).reinterpretAsInts();
            a1 = ((FloatVector) i1.lanewise(ASHR, 16).add(i1.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p + blocks))), a1);
            IntVector i2 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + 2 * blocks)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + 2 * blocks) + 32))).reinterpretAsInts();
            a2 = ((FloatVector) i2.lanewise(ASHR, 16).add(i2.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p + 2 * blocks))), a2);
            IntVector i3 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + 3 * blocks)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + 3 * blocks) + 32))).reinterpretAsInts();
            a3 = ((FloatVector) i3.lanewise(ASHR, 16).add(i3.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p + 3 * blocks))), a3);
        }
        FloatVector s0 = a0.add(a0.rearrange(FOLD_4));
        FloatVector t0 = s0.add(s0.rearrange(FOLD_2));
        FloatVector h0 = t0.add(t0.rearrange(FOLD_1));
        FloatVector s1 = a1.add(a1.rearrange(FOLD_4));
        FloatVector t1 = s1.add(s1.rearrange(FOLD_2));
        FloatVector h1 = t1.add(t1.rearrange(FOLD_1));
        out[o] = h0.lane(0);
        out[o + stride] = h0.lane(8);
        out[o + 2 * stride] = h1.lane(0);
        out[o + 3 * stride] = h1.lane(8);
        FloatVector s2 = a2.add(a2.rearrange(FOLD_4));
        FloatVector t2 = s2.add(s2.rearrange(FOLD_2));
        FloatVector h2 = t2.add(t2.rearrange(FOLD_1));
        FloatVector s3 = a3.add(a3.rearrange(FOLD_4));
        FloatVector t3 = s3.add(s3.rearrange(FOLD_2));
        FloatVector h3 = t3.add(t3.rearrange(FOLD_1));
        out[o + 4 * stride] = h2.lane(0);
        out[o + 5 * stride] = h2.lane(8);
        out[o + 6 * stride] = h3.lane(0);
        out[o + 7 * stride] = h3.lane(8);
    }

    /**
     * {@link #q8_0Tile} for 4 tokens (token % 4 == 0): the batches of 4-7 tokens that continuous batching makes from
     * a few running sequences, which the single-token kernel would take one token at a time (it unpacks each block
     * once per token; this once per 4).
     */
    static void q8_0Tile4(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        // the checks, written out (they also keep the kernel above C2's FreqInlineSize, see q8_0Tile)
        if (x.pairQuants == null || token < 0 || token % SMALL_TILE != 0 || token + SMALL_TILE > x.pairTokens) {
            throw new IllegalArgumentException("a tile of " + SMALL_TILE + " tokens at token " + token
                    + " is not in the pair layout (" + x.pairTokens + " tokens)");
        }
        if (row < 0 || row + (long) Q8_0_BYTES * (x.cols / GROUP) > w.byteSize()) {
            throw new IllegalArgumentException("a Q8_0 row at byte " + row + " of " + w.byteSize() + " ("
                    + x.cols + " columns)");
        }
        Objects.checkFromIndexSize(o, (SMALL_TILE - 1) * stride + 1, out.length);
        int blocks = x.cols / GROUP;
        short[] y = x.pairQuants;
        float[] ys = x.pairScales;
        int k0 = (token >> 1) * blocks;
        FloatVector a0 = FloatVector.zero(FLOATS_W);
        FloatVector a1 = a0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q8_0_BYTES * b;
            FloatVector dx = FloatVector.broadcast(FLOATS_W, f16(w, at));
            LongVector qs = LongVector.fromMemorySegment(LongVector.SPECIES_256, w, at + 2, LE);
            ShortVector q = ((LongVector) qs.reinterpretShape(LongVector.SPECIES_512, 0)).rearrange(TWICE_256)
                    .reinterpretAsShorts();
            ShortVector even = q.lanewise(LSHL, 8).lanewise(ASHR, 8);
            ShortVector odd = q.lanewise(ASHR, 8);
            int p = k0 + b;
            IntVector i0 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p) + 32))).reinterpretAsInts();
            a0 = ((FloatVector) i0.lanewise(ASHR, 16).add(i0.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p))), a0);
            IntVector i1 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + blocks)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + blocks) + 32))).reinterpretAsInts();
            a1 = ((FloatVector) i1.lanewise(ASHR, 16).add(i1.lanewise(LSHL, 16).lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p + blocks))), a1);
        }
        FloatVector s0 = a0.add(a0.rearrange(FOLD_4));
        FloatVector t0 = s0.add(s0.rearrange(FOLD_2));
        FloatVector h0 = t0.add(t0.rearrange(FOLD_1));
        FloatVector s1 = a1.add(a1.rearrange(FOLD_4));
        FloatVector t1 = s1.add(s1.rearrange(FOLD_2));
        FloatVector h1 = t1.add(t1.rearrange(FOLD_1));
        out[o] = h0.lane(0);
        out[o + stride] = h0.lane(8);
        out[o + 2 * stride] = h1.lane(0);
        out[o + 3 * stride] = h1.lane(8);
    }

    // ---- Q4_0 (vec_dot order) ----------------------------------------------------------------------------------

    /**
     * Q4_0 rows in vec_dot order (ggml_vec_dot_q4_0_q8_0), as {@link #q8_0Tile}; the lanes fit 16 bits
     * ({@link VectorLanes#smallLanes}).
     */
    static void q4_0Tile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        // the checks of the tile, written out here: they also keep each tile kernel above C2's FreqInlineSize (325
        // bytecodes), so it is compiled on its own with the whole inlining budget, never inside its caller next to
        // the other kernels of the type (whose vectors would then be boxed)
        if (x.pairQuants == null || token < 0 || token % TILE != 0 || token + TILE > x.pairTokens) {
            throw new IllegalArgumentException("a tile of " + TILE + " tokens at token " + token
                    + " is not in the pair layout (" + x.pairTokens + " tokens)");
        }
        Objects.checkFromIndexSize(o, (TILE - 1) * stride + 1, out.length);
        int blocks = x.cols / GROUP;
        short[] y = x.pairQuants;
        float[] ys = x.pairScales;
        int k0 = (token >> 1) * blocks;
        FloatVector a0 = FloatVector.zero(FLOATS_W);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            FloatVector dx = FloatVector.broadcast(FLOATS_W, f16(w, at));
            LongVector qs = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, at + 2, LE);
            IntVector n = ((LongVector) qs.reinterpretShape(LongVector.SPECIES_512, 0)).rearrange(FOUR_TIMES_128)
                    .reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT_W);
            ShortVector even = n.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            ShortVector odd = n.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            int p = k0 + b;
            IntVector i0 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p) + 32))).reinterpretAsInts();
            a0 = ((FloatVector) i0.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p))), a0);
            IntVector i1 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + blocks)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + blocks) + 32))).reinterpretAsInts();
            a1 = ((FloatVector) i1.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p + blocks))), a1);
            IntVector i2 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + 2 * blocks)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + 2 * blocks) + 32))).reinterpretAsInts();
            a2 = ((FloatVector) i2.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p + 2 * blocks))), a2);
            IntVector i3 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + 3 * blocks)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + 3 * blocks) + 32))).reinterpretAsInts();
            a3 = ((FloatVector) i3.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p + 3 * blocks))), a3);
        }
        FloatVector s0 = a0.add(a0.rearrange(FOLD_4));
        FloatVector t0 = s0.add(s0.rearrange(FOLD_2));
        FloatVector h0 = t0.add(t0.rearrange(FOLD_1));
        FloatVector s1 = a1.add(a1.rearrange(FOLD_4));
        FloatVector t1 = s1.add(s1.rearrange(FOLD_2));
        FloatVector h1 = t1.add(t1.rearrange(FOLD_1));
        out[o] = h0.lane(0);
        out[o + stride] = h0.lane(8);
        out[o + 2 * stride] = h1.lane(0);
        out[o + 3 * stride] = h1.lane(8);
        FloatVector s2 = a2.add(a2.rearrange(FOLD_4));
        FloatVector t2 = s2.add(s2.rearrange(FOLD_2));
        FloatVector h2 = t2.add(t2.rearrange(FOLD_1));
        FloatVector s3 = a3.add(a3.rearrange(FOLD_4));
        FloatVector t3 = s3.add(s3.rearrange(FOLD_2));
        FloatVector h3 = t3.add(t3.rearrange(FOLD_1));
        out[o + 4 * stride] = h2.lane(0);
        out[o + 5 * stride] = h2.lane(8);
        out[o + 6 * stride] = h3.lane(0);
        out[o + 7 * stride] = h3.lane(8);
    }

    /** {@link #q4_0Tile} for 4 tokens (token % 4 == 0), as {@link #q8_0Tile4}. */
    static void q4_0Tile4(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        if (x.pairQuants == null || token < 0 || token % SMALL_TILE != 0 || token + SMALL_TILE > x.pairTokens) {
            throw new IllegalArgumentException("a tile of " + SMALL_TILE + " tokens at token " + token
                    + " is not in the pair layout (" + x.pairTokens + " tokens)");
        }
        if (row < 0 || row + (long) Q4_0_BYTES * (x.cols / GROUP) > w.byteSize()) {
            throw new IllegalArgumentException("a Q4_0 row at byte " + row + " of " + w.byteSize() + " ("
                    + x.cols + " columns)");
        }
        Objects.checkFromIndexSize(o, (SMALL_TILE - 1) * stride + 1, out.length);
        int blocks = x.cols / GROUP;
        short[] y = x.pairQuants;
        float[] ys = x.pairScales;
        int k0 = (token >> 1) * blocks;
        FloatVector a0 = FloatVector.zero(FLOATS_W);
        FloatVector a1 = a0;
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            FloatVector dx = FloatVector.broadcast(FLOATS_W, f16(w, at));
            LongVector qs = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, at + 2, LE);
            IntVector n = ((LongVector) qs.reinterpretShape(LongVector.SPECIES_512, 0)).rearrange(FOUR_TIMES_128)
                    .reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT_W);
            ShortVector even = n.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            ShortVector odd = n.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            int p = k0 + b;
            IntVector i0 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p) + 32))).reinterpretAsInts();
            a0 = ((FloatVector) i0.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p))), a0);
            IntVector i1 = even.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + blocks)))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, 64 * (p + blocks) + 32))).reinterpretAsInts();
            a1 = ((FloatVector) i1.mul(0x10001).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(dx.mul(FloatVector.fromArray(FLOATS_W, ys, 16 * (p + blocks))), a1);
        }
        FloatVector s0 = a0.add(a0.rearrange(FOLD_4));
        FloatVector t0 = s0.add(s0.rearrange(FOLD_2));
        FloatVector h0 = t0.add(t0.rearrange(FOLD_1));
        FloatVector s1 = a1.add(a1.rearrange(FOLD_4));
        FloatVector t1 = s1.add(s1.rearrange(FOLD_2));
        FloatVector h1 = t1.add(t1.rearrange(FOLD_1));
        out[o] = h0.lane(0);
        out[o + stride] = h0.lane(8);
        out[o + 2 * stride] = h1.lane(0);
        out[o + 3 * stride] = h1.lane(8);
    }

    // ---- Q4_0 repacked GEMV order ------------------------------------------------------------------------------

    /**
     * ggml_gemv_q4_0_8x8_q8_0 for 8 tokens (token % 8 == 0): per block the 8 tokens' exact block sums, reduced
     * together into one 8-lane vector (lane i = token + i), then acc_i = fma((float) isum_i, dx·dy_i, acc_i): the
     * scalar kernel's step for each token in its own lane.
     */
    static void q4_0Repackedx8(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        // the checks of the tile, written out here: they also keep each tile kernel above C2's FreqInlineSize (325
        // bytecodes), so it is compiled on its own with the whole inlining budget, never inside its caller next to
        // the other kernels of the type (whose vectors would then be boxed)
        if (x.pairQuants == null || token < 0 || token % TILE != 0 || token + TILE > x.pairTokens) {
            throw new IllegalArgumentException("a tile of " + TILE + " tokens at token " + token
                    + " is not in the pair layout (" + x.pairTokens + " tokens)");
        }
        Objects.checkFromIndexSize(o, (TILE - 1) * stride + 1, out.length);
        int blocks = x.cols / GROUP;
        short[] y = x.pairQuants;
        float[] dy = x.octetScales;
        int k0 = (token >> 1) * blocks;
        int s0 = 8 * (token >> 3) * blocks;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            float dx = f16(w, at);
            LongVector qs = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, at + 2, LE);
            IntVector n = ((LongVector) qs.reinterpretShape(LongVector.SPECIES_512, 0)).rearrange(FOUR_TIMES_128)
                    .reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT_W);
            ShortVector even = n.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            ShortVector odd = n.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            int p = 64 * (k0 + b);
            int pb = 64 * blocks;
            // [token 2k lanes | 2k + 1 lanes] for the four pairs (smallLanes)
            IntVector l01 = even.mul(ShortVector.fromArray(SHORTS_W, y, p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, p + 32)))
                    .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
            IntVector l23 = even.mul(ShortVector.fromArray(SHORTS_W, y, p + pb))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, p + pb + 32)))
                    .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
            IntVector l45 = even.mul(ShortVector.fromArray(SHORTS_W, y, p + 2 * pb))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, p + 2 * pb + 32)))
                    .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
            IntVector l67 = even.mul(ShortVector.fromArray(SHORTS_W, y, p + 3 * pb))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, p + 3 * pb + 32)))
                    .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
            // the sums of the eight 8-lane groups, lane i = token + i (exact, in any order): quads, pairs, lanes
            IntVector q0 = QUADS_LO.selectFrom(l01, l23).add(QUADS_HI.selectFrom(l01, l23));
            IntVector q1 = QUADS_LO.selectFrom(l45, l67).add(QUADS_HI.selectFrom(l45, l67));
            IntVector pairSums = PAIRS_LO.selectFrom(q0, q1).add(PAIRS_HI.selectFrom(q0, q1));
            IntVector sums = (IntVector) pairSums.rearrange(EVEN_LANES).add(pairSums.rearrange(ODD_LANES))
                    .reinterpretShape(INTS, 0);
            FloatVector scale = FloatVector.fromArray(FLOATS, dy, s0 + 8 * b).mul(dx);
            acc = ((FloatVector) sums.convert(I2F, 0)).fma(scale, acc);
        }
        for (int i = 0; i < 8; i++) {
            out[o + i * stride] = acc.lane(i);
        }
    }

    /**
     * {@link #q4_0Repackedx8} for 4 tokens (token % 4 == 0): the two pairs' block sums reduced into one 4-lane vector
     * (lane i = token + i), as the 4-row tile of {@link VectorRowTileDots} reduces its rows.
     */
    static void q4_0Repackedx4(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
        if (x.pairQuants == null || token < 0 || token % SMALL_TILE != 0 || token + SMALL_TILE > x.pairTokens) {
            throw new IllegalArgumentException("a tile of " + SMALL_TILE + " tokens at token " + token
                    + " is not in the pair layout (" + x.pairTokens + " tokens)");
        }
        if (row < 0 || row + (long) Q4_0_BYTES * (x.cols / GROUP) > w.byteSize()) {
            throw new IllegalArgumentException("a repacked Q4_0 row at byte " + row + " of " + w.byteSize() + " ("
                    + x.cols + " columns)");
        }
        Objects.checkFromIndexSize(o, (SMALL_TILE - 1) * stride + 1, out.length);
        int blocks = x.cols / GROUP;
        short[] y = x.pairQuants;
        float[] dy = x.octetScales;
        int k0 = (token >> 1) * blocks;
        int s0 = 8 * (token >> 3) * blocks + (token & 7);
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_128);
        for (int b = 0; b < blocks; b++) {
            long at = row + (long) Q4_0_BYTES * b;
            float dx = f16(w, at);
            LongVector qs = LongVector.fromMemorySegment(LongVector.SPECIES_128, w, at + 2, LE);
            IntVector n = ((LongVector) qs.reinterpretShape(LongVector.SPECIES_512, 0)).rearrange(FOUR_TIMES_128)
                    .reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT_W);
            ShortVector even = n.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            ShortVector odd = n.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8);
            int p = 64 * (k0 + b);
            int pb = 64 * blocks;
            IntVector l01 = even.mul(ShortVector.fromArray(SHORTS_W, y, p))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, p + 32)))
                    .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
            IntVector l23 = even.mul(ShortVector.fromArray(SHORTS_W, y, p + pb))
                    .add(odd.mul(ShortVector.fromArray(SHORTS_W, y, p + pb + 32)))
                    .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
            // the sums of the four 8-lane groups, lane i = token + i (exact, in any order): quads, pairs, lanes
            IntVector quads = QUADS_LO.selectFrom(l01, l23).add(QUADS_HI.selectFrom(l01, l23));
            IntVector pairs = quads.add(quads.rearrange(SWAP_PAIRS));
            IntVector total = pairs.add(pairs.rearrange(SWAP_LANES));
            IntVector sums = (IntVector) total.rearrange(QUAD_HEADS).reinterpretShape(IntVector.SPECIES_128, 0);
            FloatVector scale = FloatVector.fromArray(FloatVector.SPECIES_128, dy, s0 + 8 * b).mul(dx);
            acc = ((FloatVector) sums.convert(I2F, 0)).fma(scale, acc);
        }
        out[o] = acc.lane(0);
        out[o + stride] = acc.lane(1);
        out[o + 2 * stride] = acc.lane(2);
        out[o + 3 * stride] = acc.lane(3);
    }

    /** Lanes 0-3 (4-7) of each 8-lane group of two 16-lane vectors [A | B], [C | D]: [A lo, B lo, C lo, D lo]. */
    static final IntVector QUADS_LO = IntVector.fromArray(INTS_W,
            new int[]{0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27}, 0);
    static final IntVector QUADS_HI = QUADS_LO.add(4);
    /** Within each quad: lanes (2, 3, 0, 1), then (1, 0, 3, 2); the quads' lane 0 to lanes 0-3. */
    static final VectorShuffle<Integer> SWAP_PAIRS = VectorShuffle.fromValues(INTS_W,
            2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    static final VectorShuffle<Integer> SWAP_LANES = VectorShuffle.fromValues(INTS_W,
            1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    static final VectorShuffle<Integer> QUAD_HEADS = VectorShuffle.fromValues(INTS_W,
            0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12);

    /** Lanes 0-1 (2-3) of each quad of two 16-lane vectors. */
    private static final IntVector PAIRS_LO = IntVector.fromArray(INTS_W,
            new int[]{0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29}, 0);
    private static final IntVector PAIRS_HI = PAIRS_LO.add(2);
    private static final VectorShuffle<Integer> EVEN_LANES = VectorShuffle.fromValues(INTS_W,
            0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
    private static final VectorShuffle<Integer> ODD_LANES = VectorShuffle.fromValues(INTS_W,
            1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15);

    // ---- shared ------------------------------------------------------------------------------------------------

    /**
     * Lane i + 4 (i + 2, i + 1) within each half moved to lane i: the folding steps of hsum8 for both halves at once,
     * s_i = a_i + a_{i+4}, t_i = s_i + s_{i+2}, t_0 + t_1 (the scalar {@code Lanes.hsum8}'s additions, ((a0 + a4) +
     * (a2 + a6)) + ((a1 + a5) + (a3 + a7))), written out in each kernel; the sums land in lanes 0 and 8.
     */
    private static final VectorShuffle<Float> FOLD_4 = VectorShuffle.fromValues(FLOATS_W,
            4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
    private static final VectorShuffle<Float> FOLD_2 = VectorShuffle.fromValues(FLOATS_W,
            2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    private static final VectorShuffle<Float> FOLD_1 = VectorShuffle.fromValues(FLOATS_W,
            1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);

}
