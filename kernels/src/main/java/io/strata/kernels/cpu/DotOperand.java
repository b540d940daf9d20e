package io.strata.kernels.cpu;

import io.strata.model.tensor.GgmlType;
import io.strata.model.tensor.QuantizedActivations;

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

    DotOperand(QuantizedActivations converted, int cols) {
        this.converted = converted;
        this.format = converted.type();
        this.cols = cols;
        byte[] q = converted.quantsArray();
        this.evenOdd = q == null ? null : new short[q.length];
        this.scales = converted.scalesArray();
        this.groupSums = converted.groupSumsArray();
        this.values = converted.valuesArray();
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
    }

    public QuantizedActivations converted() {
        return converted;
    }

    public int cols() {
        return cols;
    }
}
