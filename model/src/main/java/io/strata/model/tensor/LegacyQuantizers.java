package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;

import static io.strata.model.tensor.BlockFormats.IQ4_NL_VALUES;
import static io.strata.model.tensor.BlockFormats.QK;
import static io.strata.model.tensor.LittleEndian.putF16;
import static io.strata.model.tensor.LittleEndian.putI32;
import static io.strata.model.tensor.LittleEndian.putU8;

/**
 * ggml's reference quantizers for 32-element blocks, one block per call ({@code quantize_row_q4_0_ref} ... and
 * {@code quantize_iq4_nl} without an importance matrix). These are what llama-quantize runs when no imatrix is
 * given. C's {@code (int8_t)(x + 8.5f)} truncates toward zero, as Java's {@code (int)} does.
 */
final class LegacyQuantizers {
    private LegacyQuantizers() {
    }

    /** Q4_0: d = max/−8 where max is the value of largest magnitude, q = min(15, trunc(x/d + 8.5)). */
    static void q4_0(float[] x, int off, MemorySegment dst, long block) {
        float max = signedAbsMax(x, off);
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(dst, block, d);
        for (int j = 0; j < QK / 2; j++) {
            int lo = Math.min(15, (int) (x[off + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[off + QK / 2 + j] * id + 8.5f));
            putU8(dst, block + 2 + j, lo | (hi << 4));
        }
    }

    /** Q4_1: d = (max − min)/15, m = min, q = min(15, trunc((x − min)/d + 0.5)). */
    static void q4_1(float[] x, int off, MemorySegment dst, long block) {
        float min = minOf(x, off);
        float max = maxOf(x, off);
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(dst, block, d);
        putF16(dst, block + 2, min);
        for (int j = 0; j < QK / 2; j++) {
            int lo = Math.min(15, (int) ((x[off + j] - min) * id + 0.5f));
            int hi = Math.min(15, (int) ((x[off + QK / 2 + j] - min) * id + 0.5f));
            putU8(dst, block + 4 + j, lo | (hi << 4));
        }
    }

    /** Q5_0: d = max/−16, q = min(31, trunc(x/d + 16.5)); bit 4 of element e goes to bit e of qh. */
    static void q5_0(float[] x, int off, MemorySegment dst, long block) {
        float max = signedAbsMax(x, off);
        float d = max / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(dst, block, d);
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            int lo = Math.min(31, (int) (x[off + j] * id + 16.5f));
            int hi = Math.min(31, (int) (x[off + QK / 2 + j] * id + 16.5f));
            putU8(dst, block + 6 + j, (lo & 0xF) | ((hi & 0xF) << 4));
            qh |= ((lo & 0x10) >>> 4) << j;
            qh |= ((hi & 0x10) >>> 4) << (j + QK / 2);
        }
        putI32(dst, block + 2, qh);
    }

    /** Q5_1: d = (max − min)/31, m = min, q = trunc((x − min)/d + 0.5) (no clamp in ggml). */
    static void q5_1(float[] x, int off, MemorySegment dst, long block) {
        float min = minOf(x, off);
        float max = maxOf(x, off);
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(dst, block, d);
        putF16(dst, block + 2, min);
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            int lo = (int) ((x[off + j] - min) * id + 0.5f) & 0xFF;
            int hi = (int) ((x[off + QK / 2 + j] - min) * id + 0.5f) & 0xFF;
            putU8(dst, block + 8 + j, (lo & 0xF) | ((hi & 0xF) << 4));
            qh |= ((lo & 0x10) >>> 4) << j;
            qh |= ((hi & 0x10) >>> 4) << (j + QK / 2);
        }
        putI32(dst, block + 4, qh);
    }

    /** Q8_0 (weights): d = amax/127, q = roundf(x/d), ties away from zero (unlike the AVX2 activation path). */
    static void q8_0(float[] x, int off, MemorySegment dst, long block) {
        float amax = 0;
        for (int j = 0; j < QK; j++) {
            amax = Math.max(amax, Math.abs(x[off + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(dst, block, d);
        for (int j = 0; j < QK; j++) {
            putU8(dst, block + 2 + j, roundHalfAway(x[off + j] * id));
        }
    }

    /**
     * IQ4_NL (quantize_row_iq4_nl_impl with one 32-element block, no importance matrix, ntry = 7): weights x²;
     * start from d = max/127, refit d by weighted least squares, try 15 more candidate scales
     * (itry − 127)/max, keep the best; then requantize every value against that f32 d (not its fp16 rounding).
     */
    static void iq4_nl(float[] x, int off, MemorySegment dst, long block) {
        byte[] values = IQ4_NL_VALUES;
        int ntry = 7;
        int[] quants = new int[QK];
        float amax = 0;
        float max = 0;
        for (int j = 0; j < QK; j++) {
            float ax = Math.abs(x[off + j]);
            if (ax > amax) {
                amax = ax;
                max = x[off + j];
            }
        }
        float scale;
        if (amax < ScaleSearch.GROUP_MAX_EPS) {
            scale = 0;
        } else {
            float d = -max / values[0];
            float id = 1 / d;
            float sumqx = 0;
            float sumq2 = 0;
            for (int j = 0; j < QK; j++) {
                float v = x[off + j];
                float q = values[ScaleSearch.bestIndex(values, id * v)];
                float w = v * v;
                sumqx += w * q * v;
                sumq2 += w * q * q;
            }
            d = sumqx / sumq2;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; itry++) {
                id = (itry + values[0]) / max;
                sumqx = 0;
                sumq2 = 0;
                for (int j = 0; j < QK; j++) {
                    float v = x[off + j];
                    float q = values[ScaleSearch.bestIndex(values, id * v)];
                    float w = v * v;
                    sumqx += w * q * v;
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scale = d;
        }
        putF16(dst, block, scale);
        float id = scale != 0 ? 1 / scale : 0;
        for (int j = 0; j < QK; j++) {
            quants[j] = ScaleSearch.bestIndex(values, id * x[off + j]);
        }
        for (int j = 0; j < QK / 2; j++) {
            putU8(dst, block + 2 + j, quants[j] | (quants[j + QK / 2] << 4));
        }
    }

    /** The value of largest magnitude, sign kept; the first one on ties. */
    private static float signedAbsMax(float[] x, int off) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < QK; j++) {
            float v = x[off + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    private static float minOf(float[] x, int off) {
        float min = Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            if (x[off + j] < min) {
                min = x[off + j];
            }
        }
        return min;
    }

    private static float maxOf(float[] x, int off) {
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            if (x[off + j] > max) {
                max = x[off + j];
            }
        }
        return max;
    }

    /** C {@code roundf}: nearest integer, halfway cases away from zero. */
    static int roundHalfAway(float v) {
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -r : r);
    }
}
