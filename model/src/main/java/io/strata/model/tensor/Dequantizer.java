package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static io.strata.model.tensor.BlockFormats.IQ4_NL_VALUES;
import static io.strata.model.tensor.BlockFormats.QK;
import static io.strata.model.tensor.BlockFormats.QK_K;
import static io.strata.model.tensor.LittleEndian.f16;
import static io.strata.model.tensor.LittleEndian.i32;
import static io.strata.model.tensor.LittleEndian.i64;
import static io.strata.model.tensor.LittleEndian.i8;
import static io.strata.model.tensor.LittleEndian.u8;

/**
 * Weight blocks to f32, value for value as ggml's {@code dequantize_row_*} (formats.md 2). This is what llama.cpp
 * runs for {@code get_rows} (the token embedding lookup), so products and sums keep the C evaluation order and are
 * never fused: ggml-base, where these functions live, is compiled without {@code -march=native}, hence without FMA.
 */
public final class Dequantizer {
    private Dequantizer() {
    }

    /**
     * Dequantizes {@code n} elements (a whole number of blocks) stored at {@code byteOffset} of {@code src} into
     * {@code dst[dstOffset .. dstOffset + n)}.
     *
     * @throws IllegalArgumentException for a type without dequantization (naming it) or a partial block
     */
    public static void dequantize(GgmlType type, MemorySegment src, long byteOffset, float[] dst, int dstOffset,
                                  int n) {
        if (!type.isSupported()) {
            throw BlockFormats.unsupported(type, "dequantization");
        }
        BlockFormats.checkWholeBlocks(type, n);
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        Objects.checkFromIndexSize(byteOffset, type.byteSize(n), src.byteSize());
        int blocks = n / type.blockSize();
        long size = type.typeSize();
        switch (type) {
            case F32 -> MemorySegment.copy(src, LittleEndian.FLOAT, byteOffset, dst, dstOffset, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOffset + i] = f16(src, byteOffset + 2L * i);
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOffset + i] = Half.bf16ToF32(src.get(LittleEndian.SHORT, byteOffset + 2L * i));
                }
            }
            default -> {
                for (int b = 0; b < blocks; b++) {
                    long block = byteOffset + b * size;
                    int o = dstOffset + b * type.blockSize();
                    switch (type) {
                        case Q4_0 -> q4_0(src, block, dst, o);
                        case Q4_1 -> q4_1(src, block, dst, o);
                        case Q5_0 -> q5_0(src, block, dst, o);
                        case Q5_1 -> q5_1(src, block, dst, o);
                        case Q8_0 -> q8_0(src, block, dst, o);
                        case IQ4_NL -> iq4_nl(src, block, dst, o);
                        case Q2_K -> q2_K(src, block, dst, o);
                        case Q3_K -> q3_K(src, block, dst, o);
                        case Q4_K -> q4_K(src, block, dst, o);
                        case Q5_K -> q5_K(src, block, dst, o);
                        case Q6_K -> q6_K(src, block, dst, o);
                        default -> throw BlockFormats.unsupported(type, "dequantization");
                    }
                }
            }
        }
    }

    // ---- 32-element blocks (formats.md 2.1). Byte j holds element j (low nibble) and j + 16 (high nibble). ----

    /** Q4_0: d 0:2, qs 2:16; value (q − 8)·d. */
    private static void q4_0(MemorySegment s, long block, float[] y, int o) {
        float d = f16(s, block);
        for (int j = 0; j < QK / 2; j++) {
            int b = u8(s, block + 2 + j);
            y[o + j] = ((b & 0xF) - 8) * d;
            y[o + j + QK / 2] = ((b >>> 4) - 8) * d;
        }
    }

    /** Q4_1: d 0:2, m 2:2, qs 4:16; value q·d + m. */
    private static void q4_1(MemorySegment s, long block, float[] y, int o) {
        float d = f16(s, block);
        float m = f16(s, block + 2);
        for (int j = 0; j < QK / 2; j++) {
            int b = u8(s, block + 4 + j);
            y[o + j] = (b & 0xF) * d + m;
            y[o + j + QK / 2] = (b >>> 4) * d + m;
        }
    }

    /** Q5_0: d 0:2, qh 2:4 (bit e = bit 4 of element e), qs 6:16; value (q − 16)·d. */
    private static void q5_0(MemorySegment s, long block, float[] y, int o) {
        float d = f16(s, block);
        int qh = i32(s, block + 2);
        for (int j = 0; j < QK / 2; j++) {
            int b = u8(s, block + 6 + j);
            y[o + j] = (((b & 0xF) | (((qh >>> j) & 1) << 4)) - 16) * d;
            y[o + j + QK / 2] = (((b >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * d;
        }
    }

    /** Q5_1: d 0:2, m 2:2, qh 4:4, qs 8:16; value q·d + m. */
    private static void q5_1(MemorySegment s, long block, float[] y, int o) {
        float d = f16(s, block);
        float m = f16(s, block + 2);
        int qh = i32(s, block + 4);
        for (int j = 0; j < QK / 2; j++) {
            int b = u8(s, block + 8 + j);
            y[o + j] = ((b & 0xF) | (((qh >>> j) & 1) << 4)) * d + m;
            y[o + j + QK / 2] = ((b >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d + m;
        }
    }

    /** Q8_0: d 0:2, qs 2:32 signed; value q·d. */
    private static void q8_0(MemorySegment s, long block, float[] y, int o) {
        float d = f16(s, block);
        for (int j = 0; j < QK; j++) {
            y[o + j] = i8(s, block + 2 + j) * d;
        }
    }

    /** IQ4_NL: d 0:2, qs 2:16 (nibbles as Q4_0); value d·T[q]. */
    private static void iq4_nl(MemorySegment s, long block, float[] y, int o) {
        float d = f16(s, block);
        for (int j = 0; j < QK / 2; j++) {
            int b = u8(s, block + 2 + j);
            y[o + j] = d * IQ4_NL_VALUES[b & 0xF];
            y[o + j + QK / 2] = d * IQ4_NL_VALUES[b >>> 4];
        }
    }

    // ---- 256-element super-blocks (formats.md 2.2). e = 128h + 32j + l for the 2-bit layouts. ----

    /** Q2_K: scales 0:16 (lo = scale, hi = min per 16), qs 16:64, d 80:2, dmin 82:2; (d·sc)·q − dmin·m. */
    private static void q2_K(MemorySegment s, long block, float[] y, int o) {
        float d = f16(s, block + 80);
        float min = f16(s, block + 82);
        for (int k = 0; k < QK_K / 16; k++) {
            int sc = u8(s, block + k);
            float dl = d * (sc & 0xF);
            float ml = min * (sc >>> 4);
            for (int i = 0; i < 16; i++) {
                int e = 16 * k + i;
                int h = e / 128;
                int j = (e % 128) / 32;
                int q = (u8(s, block + 16 + 32 * h + e % 32) >>> (2 * j)) & 3;
                y[o + e] = dl * q - ml;
            }
        }
    }

    /** Q3_K: hmask 0:32, qs 32:64, scales 96:12 (16 × signed 6 bit), d 108:2; (d·s)·q with q in −4..3. */
    private static void q3_K(MemorySegment s, long block, float[] y, int o) {
        float dAll = f16(s, block + 108);
        long sc0to7 = i64(s, block + 96);
        int sc8to11 = i32(s, block + 104);
        for (int k = 0; k < QK_K / 16; k++) {
            float dl = dAll * BlockFormats.q3kScale(sc0to7, sc8to11, k);
            for (int i = 0; i < 16; i++) {
                int e = 16 * k + i;
                int h = e / 128;
                int j = (e % 128) / 32;
                int l = e % 32;
                int low2 = (u8(s, block + 32 + 32 * h + l) >>> (2 * j)) & 3;
                boolean high = ((u8(s, block + l) >>> (4 * h + j)) & 1) != 0;
                y[o + e] = dl * (low2 - (high ? 0 : 4));
            }
        }
    }

    /** Q4_K: d 0:2, dmin 2:2, scales 4:12, qs 16:128; (d·sc)·q − dmin·m per 32-element sub-block. */
    private static void q4_K(MemorySegment s, long block, float[] y, int o) {
        float d = f16(s, block);
        float min = f16(s, block + 2);
        long sc0to7 = i64(s, block + 4);
        int sc8to11 = i32(s, block + 12);
        for (int b = 0; b < 8; b++) {
            float d1 = d * BlockFormats.q4kScale(sc0to7, sc8to11, b);
            float m1 = min * BlockFormats.q4kMin(sc0to7, sc8to11, b);
            int shift = 4 * (b & 1);
            for (int l = 0; l < 32; l++) {
                int q = (u8(s, block + 16 + 32 * (b / 2) + l) >>> shift) & 0xF;
                y[o + 32 * b + l] = d1 * q - m1;
            }
        }
    }

    /** Q5_K: d 0:2, dmin 2:2, scales 4:12, qh 16:32, qs 48:128; Q4_K plus 16 × bit b of qh[l]. */
    private static void q5_K(MemorySegment s, long block, float[] y, int o) {
        float d = f16(s, block);
        float min = f16(s, block + 2);
        long sc0to7 = i64(s, block + 4);
        int sc8to11 = i32(s, block + 12);
        for (int b = 0; b < 8; b++) {
            float d1 = d * BlockFormats.q4kScale(sc0to7, sc8to11, b);
            float m1 = min * BlockFormats.q4kMin(sc0to7, sc8to11, b);
            int shift = 4 * (b & 1);
            for (int l = 0; l < 32; l++) {
                int q = ((u8(s, block + 48 + 32 * (b / 2) + l) >>> shift) & 0xF)
                        + (((u8(s, block + 16 + l) >>> b) & 1) << 4);
                y[o + 32 * b + l] = d1 * q - m1;
            }
        }
    }

    /** Q6_K: ql 0:128, qh 128:64, scales 192:16 (int8), d 208:2; (d·sc)·q with q in −32..31. */
    private static void q6_K(MemorySegment s, long block, float[] y, int o) {
        float d = f16(s, block + 208);
        for (int e = 0; e < QK_K; e++) {
            int h = e / 128;
            int g = (e % 128) / 32;
            int l = e % 32;
            int low4 = (u8(s, block + 64 * h + 32 * (g & 1) + l) >>> (g < 2 ? 0 : 4)) & 0xF;
            int high2 = (u8(s, block + 128 + 32 * h + l) >>> (2 * g)) & 3;
            int q = (low4 | (high2 << 4)) - 32;
            y[o + e] = d * i8(s, block + 192 + e / 16) * q;
        }
    }
}
