package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * f32 weights to a ggml tensor type, with ggml's reference algorithms ({@code quantize_row_*_ref},
 * {@code quantize_iq4_nl}): the code llama-quantize runs when it is given no importance matrix, so a model written
 * with these quantizers has llama.cpp-like quality. Meant for model generators and converters, not for the token
 * path: it allocates small scratch arrays per block.
 */
public final class Quantizer {
    private Quantizer() {
    }

    /**
     * Quantizes {@code src[srcOffset .. srcOffset + n)} (a whole number of blocks) into {@code dst} at
     * {@code dstOffset}, writing {@code type.byteSize(n)} bytes.
     *
     * @throws IllegalArgumentException for a type without a quantizer (naming it) or a partial block
     */
    public static void quantize(GgmlType type, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        if (!type.isSupported()) {
            throw BlockFormats.unsupported(type, "quantizer");
        }
        BlockFormats.checkWholeBlocks(type, n);
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        Objects.checkFromIndexSize(dstOffset, type.byteSize(n), dst.byteSize());
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOffset, dst, LittleEndian.FLOAT, dstOffset, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(LittleEndian.SHORT, dstOffset + 2L * i, Half.f32ToF16(src[srcOffset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(LittleEndian.SHORT, dstOffset + 2L * i, Half.f32ToBf16(src[srcOffset + i]));
                }
            }
            default -> {
                int blockSize = type.blockSize();
                for (int b = 0; b < n / blockSize; b++) {
                    int from = srcOffset + b * blockSize;
                    long block = dstOffset + (long) b * type.typeSize();
                    switch (type) {
                        case Q4_0 -> LegacyQuantizers.q4_0(src, from, dst, block);
                        case Q4_1 -> LegacyQuantizers.q4_1(src, from, dst, block);
                        case Q5_0 -> LegacyQuantizers.q5_0(src, from, dst, block);
                        case Q5_1 -> LegacyQuantizers.q5_1(src, from, dst, block);
                        case Q8_0 -> LegacyQuantizers.q8_0(src, from, dst, block);
                        case IQ4_NL -> LegacyQuantizers.iq4_nl(src, from, dst, block);
                        case Q2_K -> KQuantizers.q2_K(src, from, dst, block);
                        case Q3_K -> KQuantizers.q3_K(src, from, dst, block);
                        case Q4_K -> KQuantizers.q4_K(src, from, dst, block);
                        case Q5_K -> KQuantizers.q5_K(src, from, dst, block);
                        case Q6_K -> KQuantizers.q6_K(src, from, dst, block);
                        default -> throw BlockFormats.unsupported(type, "quantizer");
                    }
                }
            }
        }
    }
}
