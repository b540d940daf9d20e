package io.strata.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

import java.lang.foreign.MemorySegment;

import static io.strata.kernels.cpu.VectorLanes.FLOATS;
import static io.strata.kernels.cpu.VectorLanes.FLOAT_LE;
import static io.strata.kernels.cpu.VectorLanes.INTS;
import static io.strata.kernels.cpu.VectorLanes.LE;
import static io.strata.kernels.cpu.VectorLanes.SHORT_LE;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Vector API float dot products, bit-identical to the scalar {@code FloatDots} (formats.md 3.5): element i below
 * n rounded down to 32 goes into accumulator (i/8) mod 4, lane i mod 8, the four accumulators are combined lane
 * by lane as (acc0 + acc2) + (acc1 + acc3) (GGML_F32x8_REDUCE's first steps), and only the cross-lane tail and the
 * leftovers differ per type. Those 8-lane accumulators are exactly one 256-bit vector each.
 */
final class VectorFloatDots {
    /** Lane i + 4 moved to lane i; then lane i + 1 moved to lane i: GGML_F32x8_REDUCE's cross-lane steps. */
    private static final VectorShuffle<Float> HIGH_HALF = VectorShuffle.fromValues(FLOATS, 4, 5, 6, 7, 0, 1, 2, 3);
    private static final VectorShuffle<Float> NEXT_LANE = VectorShuffle.fromValues(FLOATS, 1, 0, 3, 2, 5, 4, 7, 6);

    private VectorFloatDots() {
    }

    /**
     * ggml_vec_dot_f32 with the row read from a segment: t_l = v_l + v_{l+4}, result (t0 + t1) + (t2 + t3), then
     * leftovers sum = fma(w, x, sum) (formats.md 3.6 on contraction).
     */
    static float f32(MemorySegment w, long row, DotOperand x, int token) {
        int n = x.cols;
        float[] v = x.values;
        int xo = token * n;
        int np = n & ~31;
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        for (int i = 0; i < np; i += 32) {
            long at = row + 4L * i;
            acc0 = FloatVector.fromMemorySegment(FLOATS, w, at, LE).fma(FloatVector.fromArray(FLOATS, v, xo + i), acc0);
            acc1 = FloatVector.fromMemorySegment(FLOATS, w, at + 32, LE).fma(FloatVector.fromArray(FLOATS, v, xo + i + 8), acc1);
            acc2 = FloatVector.fromMemorySegment(FLOATS, w, at + 64, LE).fma(FloatVector.fromArray(FLOATS, v, xo + i + 16), acc2);
            acc3 = FloatVector.fromMemorySegment(FLOATS, w, at + 96, LE).fma(FloatVector.fromArray(FLOATS, v, xo + i + 24), acc3);
        }
        float sum = reduce(acc0.add(acc2).add(acc1.add(acc3)));
        for (int i = np; i < n; i++) {
            sum = Math.fma(w.get(FLOAT_LE, row + 4L * i), v[xo + i], sum);
        }
        return sum;
    }

    /**
     * ggml_vec_dot_f16: the F32 structure on halves widened to f32 (a product of two halves is exact in f32), the
     * reduced float widened to double, leftovers added in double, the result cast to float. The activations are
     * already rounded to F16.
     */
    static float f16(MemorySegment w, long row, DotOperand x, int token) {
        int n = x.cols;
        float[] v = x.values;
        int xo = token * n;
        int np = n & ~31;
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        // one widening per 8 elements, and the accumulators rotate: elements i .. i + 7 always meet acc0, which
        // after np/8 steps (a multiple of 4) is the first accumulator again
        for (int i = 0; i < np; i += 8) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_128, w, row + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, INTS, 0);
            FloatVector next = widenHalves(h).fma(FloatVector.fromArray(FLOATS, v, xo + i), acc0);
            acc0 = acc1;
            acc1 = acc2;
            acc2 = acc3;
            acc3 = next;
        }
        double sum = reduce(acc0.add(acc2).add(acc1.add(acc3)));
        for (int i = np; i < n; i++) {
            sum += Float.float16ToFloat(w.get(SHORT_LE, row + 2L * i)) * v[xo + i];
        }
        return (float) sum;
    }

    /** (t0 + t1) + (t2 + t3) with t_l = v_l + v_{l+4}. */
    private static float reduce(FloatVector v) {
        FloatVector t = v.add(v.rearrange(HIGH_HALF));
        FloatVector u = t.add(t.rearrange(NEXT_LANE));
        return u.lane(0) + u.lane(2);
    }

    /**
     * Eight F16 values (zero- or sign-extended to ints) widened exactly to f32, without a half-precision instruction
     * in the Vector API: the exponent is rebased by an integer add and a multiply by 2^-112 (exact, and it keeps Inf
     * and NaN), subnormals come from 0.5 + m·2^-24 − 0.5 (exact), and the sign is put back last.
     */
    static FloatVector widenHalves(IntVector h) {
        IntVector word = h.lanewise(LSHL, 16);
        IntVector twice = word.lanewise(LSHL, 1);
        FloatVector normal = twice.lanewise(LSHR, 4).add(0x70000000).reinterpretAsFloats().mul(0x1.0p-112f);
        FloatVector subnormal = twice.lanewise(LSHR, 17).or(0x3F000000).reinterpretAsFloats().sub(0.5f);
        VectorMask<Integer> tiny = h.and(0x7C00).compare(VectorOperators.EQ, 0);
        IntVector magnitude = normal.reinterpretAsInts().blend(subnormal.reinterpretAsInts(), tiny);
        return magnitude.or(word.and(0x80000000)).reinterpretAsFloats();
    }
}
