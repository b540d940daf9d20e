package io.strata.kernels.cpu;

import io.strata.model.tensor.GgmlType;
import io.strata.model.tensor.QuantizedActivations;

import java.lang.foreign.MemorySegment;

/**
 * The activations of one matrix product as the row kernels read them: the rows converted to the weight type's
 * dot format ({@link QuantizedActivations}, which the scalar kernels take), and for the int8 formats the same quants
 * split into even and odd elements for the vector kernels ({@link VectorLanes#splitEvenOdd}). Token t's row starts
 * at element t·cols. {@link Activations} owns and refreshes it; the kernels only read.
 */
public final class DotOperand {
    final QuantizedActivations converted;
    final GgmlType format;
    final int cols;
    /**
     * The quants as 16-bit even/odd halves: Q8_0/Q8_1 per 32-element group the even elements then the odd ones
     * ({@link VectorLanes#splitEvenOdd}); Q8_K in the 128-element order of {@link VectorLanes#splitKQuant}. Null for
     * the float formats.
     */
    final short[] evenOdd;
    /** Q8 formats: block scales. */
    final float[] scales;
    /** Q8_K: per-16 quant sums. */
    final short[] groupSums;
    /** Float formats: the rounded activations. */
    final float[] values;
    /**
     * Q8_0 with the wide (512-bit) tile kernels ({@link VectorTileDots}), else null: the split quants of token pairs
     * (2k, 2k + 1) interleaved per 32-element block, 64 shorts per block and pair: [2k even | 2k + 1 even | 2k odd |
     * 2k + 1 odd], at 64·(k·blocks + b). One 512-bit read gives a block's even (odd) elements of both tokens.
     */
    final short[] pairQuants;
    /** With {@link #pairQuants}: per block and pair, 16 floats [scale of 2k ×8 | scale of 2k + 1 ×8]. */
    final float[] pairScales;
    /** With {@link #pairQuants}: the block scales of tokens 8g .. 8g + 7 side by side, at 8·(g·blocks + b). */
    final float[] octetScales;
    /** Tokens whose pair layout is current: {@link #split} writes it for batches of {@link #MIN_PAIR_TOKENS} or more. */
    int pairTokens;
    /**
     * Q8_0 and Q8_K with the native kernels, else null: the converted quants, block scales and (Q8_K) per-16 sums
     * as segments over the arrays, made once.
     */
    final MemorySegment quantsSegment;
    final MemorySegment scalesSegment;
    final MemorySegment groupSumsSegment;

    /** The smallest batch for which the pair layout is written (the tile kernels' smallest tile). */
    static final int MIN_PAIR_TOKENS = VectorTileDots.SMALL_TILE;

    DotOperand(QuantizedActivations converted, int cols) {
        this.converted = converted;
        this.format = converted.type();
        this.cols = cols;
        byte[] q = converted.quantsArray();
        this.evenOdd = q == null ? null : new short[q.length];
        this.scales = converted.scalesArray();
        this.groupSums = converted.groupSumsArray();
        this.values = converted.valuesArray();
        boolean nativeQ8 = (format == GgmlType.Q8_0 || format == GgmlType.Q8_K) && q != null
                && NativeKernels.available();
        this.quantsSegment = nativeQ8 ? MemorySegment.ofArray(q) : null;
        this.scalesSegment = nativeQ8 ? MemorySegment.ofArray(scales) : null;
        this.groupSumsSegment = nativeQ8 && format == GgmlType.Q8_K ? MemorySegment.ofArray(groupSums) : null;
        if (format == GgmlType.Q8_0 && VectorLanes.WIDE && q != null) {
            int maxRows = q.length / cols;
            int octets = (maxRows + 7) / 8;
            int blocks = cols / VectorLanes.GROUP;
            this.pairQuants = new short[8 * octets * cols];
            this.pairScales = new float[8 * octets * blocks * 8];
            this.octetScales = new float[8 * octets * blocks];
        } else {
            this.pairQuants = null;
            this.pairScales = null;
            this.octetScales = null;
        }
    }

    /** Refreshes the split quants from the converted ones, for the first {@code rows} rows. */
    void split(int rows) {
        if (evenOdd == null) {
            return;
        }
        int n = rows * cols;
        if (format == GgmlType.Q8_K) {
            VectorLanes.splitKQuant(converted.quantsArray(), n, evenOdd);
        } else {
            VectorLanes.splitEvenOdd(converted.quantsArray(), n, evenOdd);
        }
        pairTokens = 0;
        if (pairQuants != null && rows >= MIN_PAIR_TOKENS) {
            splitPairs(rows);
            pairTokens = rows;
        }
    }

    /** Writes {@link #pairQuants}, {@link #pairScales} and {@link #octetScales} for tokens 0 .. rows − 1. */
    private void splitPairs(int rows) {
        int blocks = cols / VectorLanes.GROUP;
        for (int t = 0; t < rows; t++) {
            int k = t >> 1;
            int half = t & 1;
            for (int b = 0; b < blocks; b++) {
                int from = (t * blocks + b) * VectorLanes.GROUP;
                int to = 64 * (k * blocks + b) + 16 * half;
                System.arraycopy(evenOdd, from, pairQuants, to, 16);
                System.arraycopy(evenOdd, from + 16, pairQuants, to + 32, 16);
                float d = scales[t * blocks + b];
                int s = 16 * (k * blocks + b) + 8 * half;
                for (int i = 0; i < 8; i++) {
                    pairScales[s + i] = d;
                }
                octetScales[8 * ((t >> 3) * blocks + b) + (t & 7)] = d;
            }
        }
    }

    public QuantizedActivations converted() {
        return converted;
    }

    public int cols() {
        return cols;
    }
}
