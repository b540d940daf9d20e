package io.strata.model.synth;

import io.strata.model.tensor.GgmlType;

import java.util.Arrays;
import java.util.Locale;

/**
 * The tensor type each weight gets, as llama-quantize chooses it for a file type: a plain type (F32, Q8_0, ...)
 * puts every matrix in that type; the K-quant mixes (Q3_K_M, Q4_K_M, Q5_K_M) give the output head and some
 * attn_v / ffn_down matrices more bits, following llama.cpp's rules closely enough that file sizes and speeds
 * are realistic. Norms are always F32.
 */
public record QuantizationMix(String name, GgmlType base) {

    public static QuantizationMix parse(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        return switch (n) {
            case "Q2_K", "Q2_K_S" -> new QuantizationMix(n, GgmlType.Q2_K);
            case "Q3_K", "Q3_K_S", "Q3_K_M", "Q3_K_L" -> new QuantizationMix(n, GgmlType.Q3_K);
            case "Q4_K", "Q4_K_S", "Q4_K_M" -> new QuantizationMix(n, GgmlType.Q4_K);
            case "Q5_K", "Q5_K_S", "Q5_K_M" -> new QuantizationMix(n, GgmlType.Q5_K);
            case "Q6_K" -> new QuantizationMix(n, GgmlType.Q6_K);
            default -> {
                GgmlType t;
                try {
                    t = GgmlType.valueOf(n);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("unknown quantization '" + name + "' (supported: "
                            + Arrays.stream(GgmlType.values()).filter(GgmlType::isSupported).map(Enum::name).toList()
                            + ", Q2_K, Q3_K_M, Q4_K_M, Q5_K_M, Q6_K)");
                }
                if (!t.isSupported()) {
                    throw new IllegalArgumentException("quantization " + t + " is not supported");
                }
                yield new QuantizationMix(n, t);
            }
        };
    }

    /**
     * The type for a 2-D weight; {@code layer} is -1 for the embedding and the output head, and
     * {@code outputHead} is true for output.weight and for a token embedding that doubles as the output.
     */
    public GgmlType typeFor(String tensor, boolean outputHead, int layer, int layerCount, int rowLength) {
        GgmlType t = choose(tensor, outputHead, layer, layerCount);
        // K-quants need rows that are whole 256-element super-blocks; llama.cpp falls back the same way.
        if (rowLength % t.blockSize() != 0) {
            t = switch (t) {
                case Q2_K, Q3_K -> GgmlType.Q4_0.blockSize() <= rowLength && rowLength % 32 == 0 ? GgmlType.Q4_0 : GgmlType.F16;
                case Q4_K -> rowLength % 32 == 0 ? GgmlType.Q5_0 : GgmlType.F16;
                case Q5_K -> rowLength % 32 == 0 ? GgmlType.Q5_1 : GgmlType.F16;
                case Q6_K -> rowLength % 32 == 0 ? GgmlType.Q8_0 : GgmlType.F16;
                default -> GgmlType.F16;
            };
        }
        return t;
    }

    private GgmlType choose(String tensor, boolean outputHead, int layer, int layerCount) {
        if (outputHead) {
            // llama-quantize keeps the output head at 6 bits unless the file is 8 bits or wider
            return switch (base) {
                case F32, F16, BF16, Q8_0, Q6_K -> base;
                default -> GgmlType.Q6_K;
            };
        }
        boolean mix = name.endsWith("_M") || name.equals("Q2_K");
        if (!mix) {
            return base;
        }
        // llama.cpp's use_more_bits: the first and last eighth of the layers, and every third layer between.
        boolean moreBits = layer >= 0 && (layer < layerCount / 8 || layer >= 7 * layerCount / 8 || (layer - layerCount / 8) % 3 == 2);
        boolean v = tensor.endsWith("attn_v.weight");
        boolean down = tensor.endsWith("ffn_down.weight");
        return switch (name) {
            case "Q4_K_M" -> (v || down) && moreBits ? GgmlType.Q6_K : GgmlType.Q4_K;
            case "Q5_K_M" -> (v || down) && moreBits ? GgmlType.Q6_K : GgmlType.Q5_K;
            case "Q3_K_M" -> v ? (layer < 2 ? GgmlType.Q5_K : GgmlType.Q4_K)
                    : down ? (layer < layerCount / 16 ? GgmlType.Q5_K : GgmlType.Q4_K)
                    : tensor.endsWith("attn_output.weight") ? GgmlType.Q4_K : GgmlType.Q3_K;
            case "Q2_K" -> v || down ? GgmlType.Q3_K : GgmlType.Q2_K;
            default -> base;
        };
    }
}
