package io.strata.model.tensor;

/**
 * Facts about ggml's block layouts shared by dequantization, dot products and quantization: block lengths, the
 * IQ4_NL value table, the packed 6-bit scales of the K-quants, and ggml's {@code nearest_int}. Layouts themselves
 * are described where they are read (formats.md 2).
 */
final class BlockFormats {
    /** Elements in a legacy block (Q4_0 ... Q8_1, IQ4_NL). */
    static final int QK = 32;
    /** Elements in a K-quant super-block. */
    static final int QK_K = 256;
    /** IQ4_NL's non-linear code book, index = 4-bit quant (formats.md 2.1, kvalues_iq4nl). */
    static final byte[] IQ4_NL_VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    /** Keeps the low nibble of each of four bytes packed in an int. */
    static final int LOW_NIBBLES = 0x0F0F0F0F;

    private BlockFormats() {
    }

    /** Byte {@code i} (0 = lowest address) of the 12 scale bytes of Q3_K/Q4_K/Q5_K, read as bytes 0-7 and 8-11. */
    static int scaleByte(long bytes0to7, int bytes8to11, int i) {
        return i < 8 ? (int) (bytes0to7 >>> (8 * i)) & 0xFF : (bytes8to11 >>> (8 * (i - 8))) & 0xFF;
    }

    /** Q4_K/Q5_K 6-bit scale of sub-block b (0..7), formats.md 2.2 table (get_scale_min_k4). */
    static int q4kScale(long bytes0to7, int bytes8to11, int b) {
        if (b < 4) {
            return scaleByte(bytes0to7, bytes8to11, b) & 63;
        }
        return (scaleByte(bytes0to7, bytes8to11, b + 4) & 0xF)
                | ((scaleByte(bytes0to7, bytes8to11, b - 4) >>> 6) << 4);
    }

    /** Q4_K/Q5_K 6-bit min of sub-block b (0..7). */
    static int q4kMin(long bytes0to7, int bytes8to11, int b) {
        if (b < 4) {
            return scaleByte(bytes0to7, bytes8to11, b + 4) & 63;
        }
        return (scaleByte(bytes0to7, bytes8to11, b + 4) >>> 4)
                | ((scaleByte(bytes0to7, bytes8to11, b) >>> 6) << 4);
    }

    /** Q3_K signed 6-bit scale k (0..15, covering elements 16k..16k+15), −32..31 (formats.md 2.2). */
    static int q3kScale(long bytes0to7, int bytes8to11, int k) {
        int low4 = (scaleByte(bytes0to7, bytes8to11, k % 8) >>> (4 * (k / 8))) & 15;
        int high2 = (scaleByte(bytes0to7, bytes8to11, 8 + k % 4) >>> (2 * (k / 4))) & 3;
        return (low4 | (high2 << 4)) - 32;
    }

    /**
     * ggml's {@code nearest_int}: adds 1.5·2^23 in float and reads the low mantissa bits, which rounds half to even
     * for |f| ≤ 2^22 (formats.md 3.2). Outside that range it returns what the C code returns, not a clamp.
     */
    static int nearestInt(float f) {
        float biased = f + 12582912f;
        return (Float.floatToRawIntBits(biased) & 0x007FFFFF) - 0x00400000;
    }

    /** {@code n} must be a whole number of blocks of {@code type}. */
    static void checkWholeBlocks(GgmlType type, int n) {
        if (n < 0 || n % type.blockSize() != 0) {
            throw new IllegalArgumentException(
                    n + " elements is not a whole number of " + type + " blocks of " + type.blockSize());
        }
    }

    static IllegalArgumentException unsupported(GgmlType type, String operation) {
        return new IllegalArgumentException("tensor type " + type + " (id " + type.id() + ") has no " + operation
                + "; supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL");
    }
}
