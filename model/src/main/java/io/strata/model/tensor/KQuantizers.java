package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;

import static io.strata.model.tensor.BlockFormats.QK_K;
import static io.strata.model.tensor.BlockFormats.nearestInt;
import static io.strata.model.tensor.LittleEndian.putF16;
import static io.strata.model.tensor.LittleEndian.putU8;
import static io.strata.model.tensor.ScaleSearch.clamp;

/**
 * ggml's reference K-quant quantizers, one 256-element super-block per call ({@code quantize_row_q2_K_ref} ...
 * {@code quantize_row_q6_K_ref}), which llama-quantize runs when no importance matrix is given. Each fits a scale
 * (and min) per 16- or 32-element group, quantizes those to 4, 6 or 8 bits against one fp16 super-scale, then
 * requantizes every value against the scales as stored, so the quants fit what dequantization will compute.
 */
final class KQuantizers {
    private KQuantizers() {
    }

    /** Q2_K: per 16 values a 4-bit scale and 4-bit min (make_qkx2_quants, |x| weights, mean abs error). */
    static void q2_K(float[] x, int off, MemorySegment dst, long block) {
        int[] quants = new int[QK_K];
        float[] weights = new float[16];
        float[] scales = new float[16];
        float[] mins = new float[16];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) {
                weights[l] = Math.abs(x[off + 16 * j + l]);
            }
            scales[j] = ScaleSearch.makeQkx2Quants(16, 3, x, off + 16 * j, weights, quants, 16 * j, mins, j,
                    -0.5f, 0.1f, 15, true);
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        int[] packed = new int[16];
        float d = 0;
        if (maxScale > 0) {
            float iscale = 15f / maxScale;
            for (int j = 0; j < 16; j++) {
                packed[j] = nearestInt(iscale * scales[j]) & 0xFF;
            }
            d = maxScale / 15f;
        }
        float dmin = 0;
        if (maxMin > 0) {
            float iscale = 15f / maxMin;
            for (int j = 0; j < 16; j++) {
                packed[j] = (packed[j] | (nearestInt(iscale * mins[j]) << 4)) & 0xFF;
            }
            dmin = maxMin / 15f;
        }
        float dStored = Half.roundToF16(d);
        float dminStored = Half.roundToF16(dmin);
        for (int j = 0; j < 16; j++) {
            float dl = dStored * (packed[j] & 0xF);
            if (dl == 0) {
                continue;
            }
            float ml = dminStored * (packed[j] >>> 4);
            for (int ii = 0; ii < 16; ii++) {
                quants[16 * j + ii] = clamp(nearestInt((x[off + 16 * j + ii] + ml) / dl), 0, 3);
            }
        }
        for (int j = 0; j < 16; j++) {
            putU8(dst, block + j, packed[j]);
        }
        pack2Bits(quants, dst, block + 16);
        putF16(dst, block + 80, d);
        putF16(dst, block + 82, dmin);
    }

    /** Q3_K: per 16 values a signed 6-bit scale (make_q3_quants); quants −4..3 as 2 low bits + a high-bit mask. */
    static void q3_K(float[] x, int off, MemorySegment dst, long block) {
        int[] quants = new int[QK_K];
        float[] scales = new float[16];
        float maxScale = 0;
        float amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = ScaleSearch.makeQ3Quants(16, 4, x, off + 16 * j, quants, 16 * j);
            float scale = Math.abs(scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = scales[j];
            }
        }
        byte[] packed = new byte[12];
        float d = 0;
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = clamp((byte) nearestInt(iscale * scales[j]), -32, 31) + 32;
                if (j < 8) {
                    packed[j] = (byte) (l & 0xF);
                } else {
                    packed[j - 8] |= (byte) ((l & 0xF) << 4);
                }
                packed[j % 4 + 8] |= (byte) ((l >>> 4) << (2 * (j / 4)));
            }
            d = 1 / iscale;
        }
        float dStored = Half.roundToF16(d);
        long sc0 = 0;
        for (int i = 0; i < 8; i++) {
            sc0 |= (packed[i] & 0xFFL) << (8 * i);
        }
        int sc1 = (packed[8] & 0xFF) | (packed[9] & 0xFF) << 8 | (packed[10] & 0xFF) << 16 | (packed[11] & 0xFF) << 24;
        for (int j = 0; j < 16; j++) {
            float dl = dStored * BlockFormats.q3kScale(sc0, sc1, j);
            if (dl == 0) {
                continue;
            }
            for (int ii = 0; ii < 16; ii++) {
                quants[16 * j + ii] = clamp(nearestInt(x[off + 16 * j + ii] / dl), -4, 3) + 4;
            }
        }
        // bit e/32 of hmask[e % 32] holds bit 2 of quant e
        int[] hmask = new int[32];
        for (int e = 0; e < QK_K; e++) {
            if (quants[e] > 3) {
                hmask[e % 32] |= 1 << (e / 32);
                quants[e] -= 4;
            }
        }
        for (int l = 0; l < 32; l++) {
            putU8(dst, block + l, hmask[l]);
        }
        pack2Bits(quants, dst, block + 32);
        for (int i = 0; i < 12; i++) {
            putU8(dst, block + 96 + i, packed[i]);
        }
        putF16(dst, block + 108, d);
    }

    /** Q4_K: per 32 values a 6-bit scale and min (make_qkx2_quants, weights rms + |x|), 4-bit quants. */
    static void q4_K(float[] x, int off, MemorySegment dst, long block) {
        int[] quants = new int[QK_K];
        float[] dmins = new float[2];
        byte[] packed = fitScalesAndMins(x, off, 15, -1f, 0.1f, 20, quants, dmins);
        requantizeAsymmetric(x, off, packed, dmins, 15, quants);
        putF16(dst, block, dmins[0]);
        putF16(dst, block + 2, dmins[1]);
        for (int i = 0; i < 12; i++) {
            putU8(dst, block + 4 + i, packed[i]);
        }
        // 64-element chunk c: low nibbles are elements 64c .. 64c + 31, high nibbles the next 32
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                putU8(dst, block + 16 + 32 * c + l, quants[64 * c + l] | (quants[64 * c + 32 + l] << 4));
            }
        }
    }

    /** Q5_K: as Q4_K with 5-bit quants; bit 4 of quant e goes to bit e/32 of qh[e % 32]. */
    static void q5_K(float[] x, int off, MemorySegment dst, long block) {
        int[] quants = new int[QK_K];
        float[] dmins = new float[2];
        byte[] packed = fitScalesAndMins(x, off, 31, -0.5f, 0.1f, 15, quants, dmins);
        requantizeAsymmetric(x, off, packed, dmins, 31, quants);
        putF16(dst, block, dmins[0]);
        putF16(dst, block + 2, dmins[1]);
        for (int i = 0; i < 12; i++) {
            putU8(dst, block + 4 + i, packed[i]);
        }
        int[] qh = new int[32];
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int lo = quants[64 * c + l];
                int hi = quants[64 * c + 32 + l];
                qh[l] |= (lo >>> 4) << (2 * c);
                qh[l] |= (hi >>> 4) << (2 * c + 1);
                putU8(dst, block + 48 + 32 * c + l, (lo & 0xF) | ((hi & 0xF) << 4));
            }
        }
        for (int l = 0; l < 32; l++) {
            putU8(dst, block + 16 + l, qh[l]);
        }
    }

    /** Q6_K: per 16 values a signed 8-bit scale (make_qx_quants), quants −32..31 as 4 low + 2 high bits. */
    static void q6_K(float[] x, int off, MemorySegment dst, long block) {
        int[] quants = new int[QK_K];
        float[] scales = new float[16];
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            scales[ib] = ScaleSearch.makeQxQuants(16, 32, x, off + 16 * ib, quants, 16 * ib);
            float abs = Math.abs(scales[ib]);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scales[ib];
            }
        }
        if (maxAbsScale < ScaleSearch.GROUP_MAX_EPS) {
            dst.asSlice(block, GgmlType.Q6_K.typeSize()).fill((byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        float d = 1 / iscale;
        float dStored = Half.roundToF16(d);
        int[] sc = new int[16];
        for (int ib = 0; ib < 16; ib++) {
            sc[ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        }
        for (int j = 0; j < 16; j++) {
            float dl = dStored * sc[j];
            if (dl == 0) {
                continue;
            }
            for (int ii = 0; ii < 16; ii++) {
                quants[16 * j + ii] = clamp(nearestInt(x[off + 16 * j + ii] / dl), -32, 31) + 32;
            }
        }
        // half h: ql[64h + l] = q(128h + l) | q(128h + 64 + l) << 4, ql[64h + 32 + l] = q(+32) | q(+96) << 4
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                int q1 = quants[128 * h + l];
                int q2 = quants[128 * h + 32 + l];
                int q3 = quants[128 * h + 64 + l];
                int q4 = quants[128 * h + 96 + l];
                putU8(dst, block + 64 * h + l, (q1 & 0xF) | ((q3 & 0xF) << 4));
                putU8(dst, block + 64 * h + 32 + l, (q2 & 0xF) | ((q4 & 0xF) << 4));
                putU8(dst, block + 128 + 32 * h + l,
                        (q1 >>> 4) | ((q2 >>> 4) << 2) | ((q3 >>> 4) << 4) | ((q4 >>> 4) << 6));
            }
        }
        for (int ib = 0; ib < 16; ib++) {
            putU8(dst, block + 192 + ib, sc[ib]);
        }
        putF16(dst, block + 208, d);
    }

    /**
     * The Q4_K/Q5_K scale fit: make_qkx2_quants per 32 values with weights av_x + |x| (av_x = rms of the group),
     * then both scales and mins quantized to 6 bits against max/63. Returns the 12 packed scale bytes (layout of
     * formats.md 2.2); dmins receives {d, dmin} before fp16 rounding.
     */
    private static byte[] fitScalesAndMins(float[] x, int off, int nmax, float rmin, float rdelta, int nstep,
                                           int[] quants, float[] dmins) {
        float[] weights = new float[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[off + 32 * j + l] * x[off + 32 * j + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[off + 32 * j + l]);
            }
            scales[j] = ScaleSearch.makeQkx2Quants(32, nmax, x, off + 32 * j, weights, quants, 32 * j, mins, j,
                    rmin, rdelta, nstep, false);
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] packed = new byte[12];
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                packed[j] = (byte) ls;
                packed[j + 4] = (byte) lm;
            } else {
                packed[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte) ((ls >>> 4) << 6);
                packed[j] |= (byte) ((lm >>> 4) << 6);
            }
        }
        dmins[0] = maxScale / 63f;
        dmins[1] = maxMin / 63f;
        return packed;
    }

    /** Requantizes each 32-element sub-block against the stored d·sc and dmin·m: q = clamp(round((x + m)/d)). */
    private static void requantizeAsymmetric(float[] x, int off, byte[] packed, float[] dmins, int nmax, int[] quants) {
        long sc0 = 0;
        for (int i = 0; i < 8; i++) {
            sc0 |= (packed[i] & 0xFFL) << (8 * i);
        }
        int sc1 = (packed[8] & 0xFF) | (packed[9] & 0xFF) << 8 | (packed[10] & 0xFF) << 16 | (packed[11] & 0xFF) << 24;
        float dStored = Half.roundToF16(dmins[0]);
        float dminStored = Half.roundToF16(dmins[1]);
        for (int j = 0; j < 8; j++) {
            float d = dStored * BlockFormats.q4kScale(sc0, sc1, j);
            if (d == 0) {
                continue;
            }
            float dm = dminStored * BlockFormats.q4kMin(sc0, sc1, j);
            for (int ii = 0; ii < 32; ii++) {
                quants[32 * j + ii] = clamp(nearestInt((x[off + 32 * j + ii] + dm) / d), 0, nmax);
            }
        }
    }

    /** The 2-bit layout of Q2_K/Q3_K: byte 32h + l holds quants 128h + l + 32j at bits 2j (j = 0..3). */
    private static void pack2Bits(int[] quants, MemorySegment dst, long qs) {
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                int e = 128 * h + l;
                putU8(dst, qs + 32 * h + l,
                        quants[e] | (quants[e + 32] << 2) | (quants[e + 64] << 4) | (quants[e + 96] << 6));
            }
        }
    }
}
