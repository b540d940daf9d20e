package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One weight row times one activation vector, computed exactly as an x86 AVX2+FMA llama.cpp build computes
 * {@code vec_dot(W_row, x_converted)} for a single-token mul_mat (formats.md 3.4, 3.5). The activations must have
 * been converted to the weight type's vec-dot format with {@link QuantizedActivations} first, as ggml does once per
 * mul_mat. Nothing is allocated and weights are read in place from the segment.
 *
 * <p>This is the scalar reference: the integer part of each block is exact, and the float steps (which lane gets
 * which elements, FMA versus multiply-add, the horizontal sums) follow the AVX2 kernels, so results should agree
 * with llama.cpp bit for bit. Kernels per family: {@code LegacyDots}, {@code KQuantDots}, {@code FloatDots}.
 */
public final class DotProduct {
    private DotProduct() {
    }

    /**
     * Σ_i W[i]·x[xOffset + i] for i in [0, n) over the row of {@code weightType} starting at {@code rowByteOffset}
     * in {@code w}, the way llama.cpp's vec_dot for that type does it. For Q4_0 this is ggml_vec_dot_q4_0_q8_0;
     * matrices that llama.cpp repacks take {@link #dotQ4_0Repacked} instead (see {@link #usesRepackedQ4_0}).
     *
     * @param x       activations in {@code QuantizedActivations.vecDotType(weightType)}
     * @param xOffset first activation used; a multiple of the activation block length (32 or 256)
     * @param n       row length, a whole number of weight blocks
     * @throws IllegalArgumentException for an unsupported weight type (named in the message), activations of the
     *                                  wrong format, or lengths that do not fit
     */
    public static float dot(GgmlType weightType, MemorySegment w, long rowByteOffset, QuantizedActivations x,
                            int xOffset, int n) {
        check(weightType, w, rowByteOffset, x, xOffset, n);
        return switch (weightType) {
            case F32 -> FloatDots.f32(w, rowByteOffset, x.values(), xOffset, n);
            case F16 -> FloatDots.f16(w, rowByteOffset, x.values(), xOffset, n);
            case BF16 -> FloatDots.bf16(w, rowByteOffset, x.values(), xOffset, n);
            case Q4_0 -> LegacyDots.q4_0(w, rowByteOffset, x, xOffset, n);
            case Q4_1 -> LegacyDots.q4_1(w, rowByteOffset, x, xOffset, n);
            case Q5_0 -> LegacyDots.q5_0(w, rowByteOffset, x, xOffset, n);
            case Q5_1 -> LegacyDots.q5_1(w, rowByteOffset, x, xOffset, n);
            case Q8_0 -> LegacyDots.q8_0(w, rowByteOffset, x, xOffset, n);
            case IQ4_NL -> LegacyDots.iq4_nl(w, rowByteOffset, x, xOffset, n);
            case Q2_K -> KQuantDots.q2_K(w, rowByteOffset, x, xOffset, n);
            case Q3_K -> KQuantDots.q3_K(w, rowByteOffset, x, xOffset, n);
            case Q4_K -> KQuantDots.q4_K(w, rowByteOffset, x, xOffset, n);
            case Q5_K -> KQuantDots.q5_K(w, rowByteOffset, x, xOffset, n);
            case Q6_K -> KQuantDots.q6_K(w, rowByteOffset, x, xOffset, n);
            default -> throw BlockFormats.unsupported(weightType, "dot product");
        };
    }

    /**
     * A Q4_0 row times Q8_0 activations the way llama.cpp's repacked GEMV ({@code ggml_gemv_q4_0_8x8_q8_0})
     * computes it: one float accumulator, block by block, acc = fma((float) isum, dx·dy, acc). AVX2 builds repack
     * every Q4_0 matrix used by mul_mat whose row count is a multiple of 8 (not the embedding table, which only
     * feeds get_rows).
     */
    public static float dotQ4_0Repacked(MemorySegment w, long rowByteOffset, QuantizedActivations x, int xOffset,
                                        int n) {
        check(GgmlType.Q4_0, w, rowByteOffset, x, xOffset, n);
        return LegacyDots.q4_0Repacked(w, rowByteOffset, x, xOffset, n);
    }

    /**
     * Whether an AVX2 llama.cpp multiplies a matrix of this type and row count (ne1) through the repacked Q4_0
     * GEMV (formats.md 3.4, ggml_aarch64_get_optimal_repack_type): Q4_0 with rows % 8 == 0.
     */
    public static boolean usesRepackedQ4_0(GgmlType weightType, long rows) {
        return weightType == GgmlType.Q4_0 && rows % 8 == 0;
    }

    /**
     * Whether llama.cpp's batched order (two or more tokens, tinyBLAS) gives other bits than {@link #dot} for rows of
     * {@code n} elements of this type: F32 and F16 rows of whole 8-element groups, and IQ4_NL.
     */
    public static boolean batchedOrderDiffers(GgmlType weightType, int n) {
        return switch (weightType) {
            case F32, F16 -> n % 8 == 0;
            case IQ4_NL -> true;
            default -> false;
        };
    }

    /**
     * A weight row times one token's activations the way llama.cpp computes it inside a batch of two or more
     * tokens (formats.md 3.4, "Batches"): tinyBLAS's single accumulator for F32, F16 and IQ4_NL; for every other
     * type the batch path gives the same bits as {@link #dot}. {@code x} is in the same format as for {@link #dot}
     * (the reference logits match only when F16 activations are rounded to F16 in batches too).
     */
    public static float batchedDot(GgmlType weightType, MemorySegment w, long rowByteOffset, QuantizedActivations x,
                                   int xOffset, int n) {
        if (x.type() != QuantizedActivations.vecDotType(weightType)) {
            throw new IllegalArgumentException(weightType + " rows need " + QuantizedActivations.vecDotType(weightType)
                    + " activations, got " + x.type());
        }
        Objects.checkFromIndexSize(xOffset, n, x.length());
        Objects.checkFromIndexSize(rowByteOffset, weightType.byteSize(n), w.byteSize());
        return switch (weightType) {
            case F32 -> n % 8 == 0 ? BatchedDots.f32(w, rowByteOffset, x.values(), xOffset, n) : dot(weightType, w, rowByteOffset, x, xOffset, n);
            case F16 -> n % 8 == 0 ? BatchedDots.f16(w, rowByteOffset, x.values(), xOffset, n) : dot(weightType, w, rowByteOffset, x, xOffset, n);
            case IQ4_NL -> BatchedDots.iq4_nl(w, rowByteOffset, x, xOffset, n);
            default -> dot(weightType, w, rowByteOffset, x, xOffset, n);
        };
    }

    /**
     * ggml_vec_dot_f32 on two float arrays, in its AVX2 order (formats.md 3.5). Attention's Q·K and P·V with an
     * F32 KV cache use it.
     */
    public static float dotF32(float[] a, int aOffset, float[] b, int bOffset, int n) {
        Objects.checkFromIndexSize(aOffset, n, a.length);
        Objects.checkFromIndexSize(bOffset, n, b.length);
        return FloatDots.f32(a, aOffset, b, bOffset, n);
    }

    private static void check(GgmlType weightType, MemorySegment w, long rowByteOffset, QuantizedActivations x,
                              int xOffset, int n) {
        GgmlType wanted = QuantizedActivations.vecDotType(weightType);
        if (x.type() != wanted) {
            throw new IllegalArgumentException(weightType + " rows need " + wanted + " activations, got " + x.type());
        }
        BlockFormats.checkWholeBlocks(weightType, n);
        if (xOffset % wanted.blockSize() != 0) {
            throw new IllegalArgumentException("activation offset " + xOffset + " is not at a " + wanted
                    + " block boundary");
        }
        Objects.checkFromIndexSize(xOffset, n, x.length());
        Objects.checkFromIndexSize(rowByteOffset, weightType.byteSize(n), w.byteSize());
    }
}
