package io.strata.model.tensor;

/**
 * Conversions between f32 and the two 16-bit float formats ggml stores: IEEE half (F16) and bfloat16 (BF16).
 * Rounding is round-to-nearest-even in both directions that round (formats.md 2.3), the rule of F16C's
 * {@code cvtps_ph} (mode 0) and of ggml's {@code ggml_compute_fp32_to_bf16}.
 */
public final class Half {
    private Half() {
    }

    /** F16 bits widened to f32; exact. */
    public static float f16ToF32(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** f32 rounded to the nearest F16 (ties to even). */
    public static short f32ToF16(float x) {
        return Float.floatToFloat16(x);
    }

    /** The f32 value of {@code fp16(x)}: what an activation or scale becomes after a trip through F16. */
    public static float roundToF16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    /** BF16 bits widened to f32: the bits become the top half of the f32. Exact. */
    public static float bf16ToF32(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * f32 to BF16 as ggml does it (formats.md 2.3): a NaN keeps its top bits and is forced quiet; anything else
     * is rounded to nearest, ties to even, by adding 0x7FFF plus the lowest kept bit before truncating.
     * Subnormals are rounded like any other value (no flush to zero).
     */
    public static short f32ToBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The f32 value of {@code bf16(x)}. */
    public static float roundToBf16(float x) {
        return bf16ToF32(f32ToBf16(x));
    }
}
