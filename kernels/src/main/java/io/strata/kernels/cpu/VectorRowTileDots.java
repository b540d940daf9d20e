package io.strata.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShuffle;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static io.strata.kernels.cpu.VectorLanes.GROUP;
import static io.strata.kernels.cpu.VectorLanes.INTS_W;
import static io.strata.kernels.cpu.VectorLanes.LE;
import static io.strata.kernels.cpu.VectorLanes.SHORTS_W;
import static io.strata.kernels.cpu.VectorLanes.f16;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Row tiles for the wide (512-bit) machines: 4 weight rows (two pairs of neighbours) times one token, two rows side by side in
 * each 512-bit vector ([row 2k | row 2k + 1], one per 256-bit half), the token's activations read once per block
 * for all 4 rows. Decode multiplies one token per matrix, so this is where its arithmetic is shared. Every half
 * computes exactly the single-token kernel's integer lanes ({@link VectorLegacyDots}).
 *
 * <p>Only the repacked Q4_0 GEMV has one: a Q8_0 row tile of the same form (4 rows, the rows' scales gathered
 * through a small array) ran 0.77x the speed of the single-row kernel, which has no horizontal step per block to
 * share. The repacked Q4_0 GEMV adds one block sum per block to a single float: here the 4 rows' block sums are reduced
 * together into one 4-lane vector (lane i = row i) and the FMA runs lane-wise, fma((float) isum_i, dx_i·dy, acc_i),
 * the scalar step of each row in its own lane, 4 independent chains instead of one.
 */
final class VectorRowTileDots {
    private static final int Q4_0_BYTES = 18;

    /** Rows per tile (8 are past C2's NodeCountInliningCutoff, and their vectors would be boxed). */
    static final int ROWS = 4;

    /** Longs [a0, a1, a0, a1 | b0, b1, b0, b1]: two Q4_0 blocks' 16 quant bytes, each twice. */
    private static final LongVector TWICE_128_EACH = LongVector.fromArray(LongVector.SPECIES_512,
            new long[]{0, 1, 0, 1, 8, 9, 8, 9}, 0);
    /** [first 256 bits | the same] and [second 256 bits | the same] of a 512-bit vector, as longs. */
    private static final VectorShuffle<Long> LOW_TWICE = VectorShuffle.fromValues(LongVector.SPECIES_512,
            0, 1, 2, 3, 0, 1, 2, 3);
    private static final VectorShuffle<Long> HIGH_TWICE = VectorShuffle.fromValues(LongVector.SPECIES_512,
            4, 5, 6, 7, 4, 5, 6, 7);
    /** Per 256-bit half: ints 0-3 the low nibbles (elements 0-15), ints 4-7 the high ones (16-31). */
    private static final IntVector NIBBLE_SHIFT_W = IntVector.fromArray(INTS_W,
            new int[]{0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0, 4, 4, 4, 4}, 0);
    private static final int LOW_NIBBLE_OF_SHORTS = 0x000F000F;

    /** Per-thread room for the rows' block scales of one block (no float gather from a segment). */
    private static final ThreadLocal<float[]> SCALES = ThreadLocal.withInitial(() -> new float[8]);

    private VectorRowTileDots() {
    }

    /**
     * ggml_gemv_q4_0_8x8_q8_0 for rows rowA, rowA + rowBytes, rowB, rowB + rowBytes and one token: results to
     * out[oA], out[oA + 1], out[oB], out[oB + 1]. Per block, the 4 rows' exact block sums in one 4-lane vector,
     * then acc_i = fma((float) isum_i, dx_i·dy, acc_i). With rowB = rowA + 2·rowBytes these are 4 neighbouring rows;
     * decode takes the two pairs from far apart, two streams from memory.
     */
    static void q4_0Repacked(MemorySegment w, long rowA, long rowB, long rowBytes, DotOperand x, int token,
                             float[] out, int oA, int oB) {
        if (token < 0 || rowBytes < (long) Q4_0_BYTES * (x.cols / GROUP) || x.evenOdd == null) {
            throw new IllegalArgumentException("a Q4_0 row tile of token " + token + " with " + rowBytes
                    + " bytes per row");
        }
        Objects.checkFromIndexSize(oA, 2, out.length);
        Objects.checkFromIndexSize(oB, 2, out.length);
        int blocks = x.cols / GROUP;
        // rowBytes is the stride: a column slice's rows are further apart than their own bytes, the last row ends early
        Objects.checkFromIndexSize(rowA, rowBytes + (long) Q4_0_BYTES * blocks, w.byteSize());
        Objects.checkFromIndexSize(rowB, rowBytes + (long) Q4_0_BYTES * blocks, w.byteSize());
        int b0 = token * blocks;
        short[] y = x.evenOdd;
        float[] dy = x.scales;
        float[] d = SCALES.get();
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_128);
        for (int b = 0; b < blocks; b++) {
            long at = rowA + (long) Q4_0_BYTES * b;
            long bt = rowB + (long) Q4_0_BYTES * b;
            int p = b0 + b;
            LongVector yb = ShortVector.fromArray(SHORTS_W, y, GROUP * p).reinterpretAsLongs();
            ShortVector ye = yb.rearrange(LOW_TWICE).reinterpretAsShorts();
            ShortVector yo = yb.rearrange(HIGH_TWICE).reinterpretAsShorts();
            d[0] = f16(w, at);
            d[1] = f16(w, at + rowBytes);
            d[2] = f16(w, bt);
            d[3] = f16(w, bt + rowBytes);
            IntVector n0 = TWICE_128_EACH.selectFrom(
                    LongVector.fromMemorySegment(LongVector.SPECIES_128, w, at + 2, LE).reinterpretShape(LongVector.SPECIES_512, 0),
                    LongVector.fromMemorySegment(LongVector.SPECIES_128, w, at + rowBytes + 2, LE).reinterpretShape(LongVector.SPECIES_512, 0))
                    .reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT_W);
            IntVector l01 = n0.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8).mul(ye)
                    .add(n0.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8).mul(yo))
                    .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
            IntVector n1 = TWICE_128_EACH.selectFrom(
                    LongVector.fromMemorySegment(LongVector.SPECIES_128, w, bt + 2, LE).reinterpretShape(LongVector.SPECIES_512, 0),
                    LongVector.fromMemorySegment(LongVector.SPECIES_128, w, bt + rowBytes + 2, LE).reinterpretShape(LongVector.SPECIES_512, 0))
                    .reinterpretAsInts().lanewise(LSHR, NIBBLE_SHIFT_W);
            IntVector l23 = n1.and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8).mul(ye)
                    .add(n1.lanewise(LSHR, 8).and(LOW_NIBBLE_OF_SHORTS).reinterpretAsShorts().sub((short) 8).mul(yo))
                    .reinterpretAsInts().mul(0x10001).lanewise(ASHR, 16);
            // the sums of the four 8-lane groups, lane i = row i (exact, in any order): quads, pairs, lanes
            IntVector quads = VectorTileDots.QUADS_LO.selectFrom(l01, l23).add(VectorTileDots.QUADS_HI.selectFrom(l01, l23));
            IntVector pairs = quads.add(quads.rearrange(VectorTileDots.SWAP_PAIRS));
            IntVector total = pairs.add(pairs.rearrange(VectorTileDots.SWAP_LANES));
            IntVector sums = (IntVector) total.rearrange(VectorTileDots.QUAD_HEADS).reinterpretShape(IntVector.SPECIES_128, 0);
            FloatVector scale = FloatVector.fromArray(FloatVector.SPECIES_128, d, 0).mul(dy[p]);
            acc = ((FloatVector) sums.convert(I2F, 0)).fma(scale, acc);
        }
        out[oA] = acc.lane(0);
        out[oA + 1] = acc.lane(1);
        out[oB] = acc.lane(2);
        out[oB + 1] = acc.lane(3);
    }
}
