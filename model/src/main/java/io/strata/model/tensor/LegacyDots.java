package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;

import static io.strata.model.tensor.BlockFormats.LOW_NIBBLES;
import static io.strata.model.tensor.BlockFormats.QK;
import static io.strata.model.tensor.Lanes.dot4;
import static io.strata.model.tensor.Lanes.dot4Iq4nl;
import static io.strata.model.tensor.Lanes.dot4Signed;
import static io.strata.model.tensor.Lanes.hsum8;
import static io.strata.model.tensor.Lanes.spreadBits;
import static io.strata.model.tensor.LittleEndian.f16;
import static io.strata.model.tensor.LittleEndian.i32;
import static java.lang.Math.fma;

/**
 * Dot products of 32-element weight blocks with Q8_0/Q8_1 activations, in the AVX2 order of ggml's
 * {@code ggml_vec_dot_*_q8_*} (formats.md 3.4): per block, 8 exact int32 lanes; lane t is FMA'd into float
 * accumulator t with the block's scale product; {@link Lanes#hsum8} at the end.
 *
 * <p>In the 4-bit layouts byte j holds element j (low nibble) and j + 16 (high nibble), so lanes 0-3 are the low
 * nibbles of qs words 0-3 and lanes 4-7 their high nibbles. Scalar statements of the form {@code s += a·b} in
 * ggml-cpu are compiled with {@code -march=native} and GCC's default {@code -ffp-contract=fast}, so they become
 * FMAs; they are written as {@link Math#fma} here (formats.md 3.6).
 */
final class LegacyDots {
    private LegacyDots() {
    }

    /** Q4_0·Q8_0 (block: d 0:2, qs 2:16): acc_t = fma(dx·dy, Σ(q − 8)·y, acc_t). */
    static float q4_0(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int b = 0; b < n / QK; b++) {
            long block = row + 18L * b;
            int p = xOffset + QK * b;
            float d = f16(w, block) * dy[p / QK];
            int w0 = i32(w, block + 2);
            int w1 = i32(w, block + 6);
            int w2 = i32(w, block + 10);
            int w3 = i32(w, block + 14);
            a0 = fma(d, dot4(w0 & LOW_NIBBLES, 8, y, p), a0);
            a1 = fma(d, dot4(w1 & LOW_NIBBLES, 8, y, p + 4), a1);
            a2 = fma(d, dot4(w2 & LOW_NIBBLES, 8, y, p + 8), a2);
            a3 = fma(d, dot4(w3 & LOW_NIBBLES, 8, y, p + 12), a3);
            a4 = fma(d, dot4((w0 >>> 4) & LOW_NIBBLES, 8, y, p + 16), a4);
            a5 = fma(d, dot4((w1 >>> 4) & LOW_NIBBLES, 8, y, p + 20), a5);
            a6 = fma(d, dot4((w2 >>> 4) & LOW_NIBBLES, 8, y, p + 24), a6);
            a7 = fma(d, dot4((w3 >>> 4) & LOW_NIBBLES, 8, y, p + 28), a7);
        }
        return hsum8(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /**
     * Q4_0·Q8_0 through the repacked 8-row GEMV that AVX2 llama.cpp uses for Q4_0 matrices with rows % 8 == 0
     * (formats.md 3.4, ggml_gemv_q4_0_8x8_q8_0): one float accumulator per row, block by block,
     * acc = fma((float) isum, dx·dy, acc).
     */
    static float q4_0Repacked(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        float acc = 0;
        for (int b = 0; b < n / QK; b++) {
            long block = row + 18L * b;
            int p = xOffset + QK * b;
            int isum = 0;
            for (int k = 0; k < 4; k++) {
                int word = i32(w, block + 2 + 4 * k);
                isum += dot4(word & LOW_NIBBLES, 8, y, p + 4 * k)
                        + dot4((word >>> 4) & LOW_NIBBLES, 8, y, p + 16 + 4 * k);
            }
            acc = fma((float) isum, f16(w, block) * dy[p / QK], acc);
        }
        return acc;
    }

    /** Q4_1·Q8_1 (block: d 0:2, m 2:2, qs 4:16): acc_t = fma(dx·dy, Σq·y, acc_t); summs = fma(m, s, summs). */
    static float q4_1(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        float[] sy = x.blockSums();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        float summs = 0;
        for (int b = 0; b < n / QK; b++) {
            long block = row + 20L * b;
            int p = xOffset + QK * b;
            summs = fma(f16(w, block + 2), sy[p / QK], summs);
            float d = f16(w, block) * dy[p / QK];
            int w0 = i32(w, block + 4);
            int w1 = i32(w, block + 8);
            int w2 = i32(w, block + 12);
            int w3 = i32(w, block + 16);
            a0 = fma(d, dot4(w0 & LOW_NIBBLES, 0, y, p), a0);
            a1 = fma(d, dot4(w1 & LOW_NIBBLES, 0, y, p + 4), a1);
            a2 = fma(d, dot4(w2 & LOW_NIBBLES, 0, y, p + 8), a2);
            a3 = fma(d, dot4(w3 & LOW_NIBBLES, 0, y, p + 12), a3);
            a4 = fma(d, dot4((w0 >>> 4) & LOW_NIBBLES, 0, y, p + 16), a4);
            a5 = fma(d, dot4((w1 >>> 4) & LOW_NIBBLES, 0, y, p + 20), a5);
            a6 = fma(d, dot4((w2 >>> 4) & LOW_NIBBLES, 0, y, p + 24), a6);
            a7 = fma(d, dot4((w3 >>> 4) & LOW_NIBBLES, 0, y, p + 28), a7);
        }
        return hsum8(a0, a1, a2, a3, a4, a5, a6, a7) + summs;
    }

    /** Q5_0·Q8_0 (block: d 0:2, qh 2:4, qs 6:16): acc_t = fma(dx·dy, Σ(q − 16)·y, acc_t). */
    static float q5_0(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int b = 0; b < n / QK; b++) {
            long block = row + 22L * b;
            int p = xOffset + QK * b;
            float d = f16(w, block) * dy[p / QK];
            int qh = i32(w, block + 2);
            int w0 = i32(w, block + 6);
            int w1 = i32(w, block + 10);
            int w2 = i32(w, block + 14);
            int w3 = i32(w, block + 18);
            a0 = fma(d, dot4(five(w0, qh, 0), 16, y, p), a0);
            a1 = fma(d, dot4(five(w1, qh, 1), 16, y, p + 4), a1);
            a2 = fma(d, dot4(five(w2, qh, 2), 16, y, p + 8), a2);
            a3 = fma(d, dot4(five(w3, qh, 3), 16, y, p + 12), a3);
            a4 = fma(d, dot4(five(w0 >>> 4, qh, 4), 16, y, p + 16), a4);
            a5 = fma(d, dot4(five(w1 >>> 4, qh, 5), 16, y, p + 20), a5);
            a6 = fma(d, dot4(five(w2 >>> 4, qh, 6), 16, y, p + 24), a6);
            a7 = fma(d, dot4(five(w3 >>> 4, qh, 7), 16, y, p + 28), a7);
        }
        return hsum8(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /** Q5_1·Q8_1 (block: d 0:2, m 2:2, qh 4:4, qs 8:16): as Q4_1 with the fifth bit from qh. */
    static float q5_1(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        float[] sy = x.blockSums();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        float summs = 0;
        for (int b = 0; b < n / QK; b++) {
            long block = row + 24L * b;
            int p = xOffset + QK * b;
            summs = fma(f16(w, block + 2), sy[p / QK], summs);
            float d = f16(w, block) * dy[p / QK];
            int qh = i32(w, block + 4);
            int w0 = i32(w, block + 8);
            int w1 = i32(w, block + 12);
            int w2 = i32(w, block + 16);
            int w3 = i32(w, block + 20);
            a0 = fma(d, dot4(five(w0, qh, 0), 0, y, p), a0);
            a1 = fma(d, dot4(five(w1, qh, 1), 0, y, p + 4), a1);
            a2 = fma(d, dot4(five(w2, qh, 2), 0, y, p + 8), a2);
            a3 = fma(d, dot4(five(w3, qh, 3), 0, y, p + 12), a3);
            a4 = fma(d, dot4(five(w0 >>> 4, qh, 4), 0, y, p + 16), a4);
            a5 = fma(d, dot4(five(w1 >>> 4, qh, 5), 0, y, p + 20), a5);
            a6 = fma(d, dot4(five(w2 >>> 4, qh, 6), 0, y, p + 24), a6);
            a7 = fma(d, dot4(five(w3 >>> 4, qh, 7), 0, y, p + 28), a7);
        }
        return hsum8(a0, a1, a2, a3, a4, a5, a6, a7) + summs;
    }

    /** The four 5-bit quants of lane t: nibbles (already shifted to the low half) plus qh bits 4t .. 4t + 3. */
    private static int five(int nibbles, int qh, int lane) {
        return (nibbles & LOW_NIBBLES) | (spreadBits((qh >>> (4 * lane)) & 0xF) << 4);
    }

    /** Q8_0·Q8_0 (block: d 0:2, qs 2:32 signed): acc_t = fma(dx·dy, Σqx·qy, acc_t). */
    static float q8_0(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int b = 0; b < n / QK; b++) {
            long block = row + 34L * b;
            int p = xOffset + QK * b;
            float d = f16(w, block) * dy[p / QK];
            long qs = block + 2;
            a0 = fma(d, dot4Signed(i32(w, qs), y, p), a0);
            a1 = fma(d, dot4Signed(i32(w, qs + 4), y, p + 4), a1);
            a2 = fma(d, dot4Signed(i32(w, qs + 8), y, p + 8), a2);
            a3 = fma(d, dot4Signed(i32(w, qs + 12), y, p + 12), a3);
            a4 = fma(d, dot4Signed(i32(w, qs + 16), y, p + 16), a4);
            a5 = fma(d, dot4Signed(i32(w, qs + 20), y, p + 20), a5);
            a6 = fma(d, dot4Signed(i32(w, qs + 24), y, p + 24), a6);
            a7 = fma(d, dot4Signed(i32(w, qs + 28), y, p + 28), a7);
        }
        return hsum8(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /**
     * IQ4_NL·Q8_0 (block: d 0:2, qs 2:16 indices into T): blocks go in pairs, the even one into accumulators a,
     * the odd one into c, scale dy·dx; result hsum8(a + c). A last unpaired block is added by the scalar tail,
     * sumf = fma(dy·dx, isum, sumf).
     */
    static float iq4_nl(MemorySegment w, long row, QuantizedActivations x, int xOffset, int n) {
        byte[] y = x.quants();
        float[] dy = x.scales();
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        float c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
        int blocks = n / QK;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long block = row + 18L * b;
            int p = xOffset + QK * b;
            float d = dy[p / QK] * f16(w, block);
            int w0 = i32(w, block + 2);
            int w1 = i32(w, block + 6);
            int w2 = i32(w, block + 10);
            int w3 = i32(w, block + 14);
            a0 = fma(d, dot4Iq4nl(w0, y, p), a0);
            a1 = fma(d, dot4Iq4nl(w1, y, p + 4), a1);
            a2 = fma(d, dot4Iq4nl(w2, y, p + 8), a2);
            a3 = fma(d, dot4Iq4nl(w3, y, p + 12), a3);
            a4 = fma(d, dot4Iq4nl(w0 >>> 4, y, p + 16), a4);
            a5 = fma(d, dot4Iq4nl(w1 >>> 4, y, p + 20), a5);
            a6 = fma(d, dot4Iq4nl(w2 >>> 4, y, p + 24), a6);
            a7 = fma(d, dot4Iq4nl(w3 >>> 4, y, p + 28), a7);

            block += 18;
            p += QK;
            d = dy[p / QK] * f16(w, block);
            w0 = i32(w, block + 2);
            w1 = i32(w, block + 6);
            w2 = i32(w, block + 10);
            w3 = i32(w, block + 14);
            c0 = fma(d, dot4Iq4nl(w0, y, p), c0);
            c1 = fma(d, dot4Iq4nl(w1, y, p + 4), c1);
            c2 = fma(d, dot4Iq4nl(w2, y, p + 8), c2);
            c3 = fma(d, dot4Iq4nl(w3, y, p + 12), c3);
            c4 = fma(d, dot4Iq4nl(w0 >>> 4, y, p + 16), c4);
            c5 = fma(d, dot4Iq4nl(w1 >>> 4, y, p + 20), c5);
            c6 = fma(d, dot4Iq4nl(w2 >>> 4, y, p + 24), c6);
            c7 = fma(d, dot4Iq4nl(w3 >>> 4, y, p + 28), c7);
        }
        float sumf = hsum8(a0 + c0, a1 + c1, a2 + c2, a3 + c3, a4 + c4, a5 + c5, a6 + c6, a7 + c7);
        if (b < blocks) {
            long block = row + 18L * b;
            int p = xOffset + QK * b;
            float d = dy[p / QK] * f16(w, block);
            int isum = 0;
            for (int k = 0; k < 4; k++) {
                int word = i32(w, block + 2 + 4 * k);
                isum += dot4Iq4nl(word, y, p + 4 * k) + dot4Iq4nl(word >>> 4, y, p + 16 + 4 * k);
            }
            sumf = fma(d, (float) isum, sumf);
        }
        return sumf;
    }
}
