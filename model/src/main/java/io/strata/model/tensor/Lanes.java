package io.strata.model.tensor;

/**
 * The integer and float building blocks of the AVX2 dot products (formats.md 3.4). An AVX2 kernel multiplies 32
 * weight bytes by 32 activation bytes with {@code maddubs} + {@code madd}, which sums each run of 4 neighbouring
 * products into one of 8 int32 lanes: lane t holds the elements e with (e mod 32) / 4 = t. The lane sums are exact
 * integers, so their internal order is free; only which elements share a lane, and the float steps after it, decide
 * the bits. Weight quants arrive here as 4 bytes packed in an int (byte i = element 4t + i).
 */
final class Lanes {
    private Lanes() {
    }

    /** Σ_{i<4} (byte_i − bias)·y[p + i] for four unsigned bytes packed in {@code quants}. */
    static int dot4(int quants, int bias, byte[] y, int p) {
        return ((quants & 0xFF) - bias) * y[p]
                + (((quants >>> 8) & 0xFF) - bias) * y[p + 1]
                + (((quants >>> 16) & 0xFF) - bias) * y[p + 2]
                + ((quants >>> 24) - bias) * y[p + 3];
    }

    /** Σ_{i<4} byte_i·y[p + i] for four signed bytes packed in {@code quants} (Q8_0 weights). */
    static int dot4Signed(int quants, byte[] y, int p) {
        return (byte) quants * y[p]
                + (byte) (quants >>> 8) * y[p + 1]
                + (byte) (quants >>> 16) * y[p + 2]
                + (byte) (quants >>> 24) * y[p + 3];
    }

    /** Σ_{i<4} T[nibble_i]·y[p + i] for four IQ4_NL indices (one per byte, low nibble). */
    static int dot4Iq4nl(int nibbles, byte[] y, int p) {
        byte[] t = BlockFormats.IQ4_NL_VALUES;
        return t[nibbles & 0xF] * y[p]
                + t[(nibbles >>> 8) & 0xF] * y[p + 1]
                + t[(nibbles >>> 16) & 0xF] * y[p + 2]
                + t[(nibbles >>> 24) & 0xF] * y[p + 3];
    }

    /** Moves bit i of a 4-bit value to bit 0 of byte i: the high bits of 4 consecutive 5-bit quants. */
    static int spreadBits(int fourBits) {
        return (fourBits & 1) | ((fourBits & 2) << 7) | ((fourBits & 4) << 14) | ((fourBits & 8) << 21);
    }

    /** {@code hsum_float_8}: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)). */
    static float hsum8(float a0, float a1, float a2, float a3, float a4, float a5, float a6, float a7) {
        return ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
    }
}
