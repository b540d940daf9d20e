package io.strata.model.convert;

import io.strata.model.tensor.GgmlType;

/**
 * The type each tensor gets in a converted or quantized file, as llama.cpp chooses it
 * ({@code llama_model_quantize_impl} and {@code llama_tensor_get_type}, reference build b4747), for the file types
 * of {@link FileType}:
 * <ul>
 *   <li>only 2-D (and larger) tensors whose names end in {@code weight}, norms excepted, are converted; everything
 *       else keeps its type (a Hugging Face source writes them as F32, as convert_hf_to_gguf.py does);</li>
 *   <li>float file types put every such weight in that type;</li>
 *   <li>quantized types move some tensors: the output head (or a tied token embedding) to Q6_K, or Q8_0 when its rows
 *       are not whole 256-element super-blocks; for the K-quant mixes {@code attn_v}, {@code ffn_down} and
 *       {@code attn_output} get more bits in the layers llama.cpp's {@code use_more_bits} picks;</li>
 *   <li>a type whose blocks do not divide the row length falls back as llama.cpp does (Q4_K to Q5_0, Q5_K to Q5_1,
 *       Q6_K to Q8_0, Q2_K and Q3_K to IQ4_NL), and to F16 when that does not fit either. Where llama.cpp has no
 *       fallback and stops ("Unsupported tensor size": Q8_0 and the other 32-element types on a row such as
 *       stories260K's 172), F16 is used, as convert_hf_to_gguf.py does for Q8_0.</li>
 * </ul>
 *
 * @param layers   the model's block count (the number of attn_v and of ffn_down tensors)
 * @param gqa      query heads per KV head
 * @param hasOutput whether the model has its own output.weight (else token_embd is the output head)
 */
public record TensorTypes(FileType fileType, int layers, int gqa, boolean hasOutput) {

    /** Whether llama-quantize converts this tensor at all. */
    public static boolean isConvertedWeight(final String name, final long[] shape) {
        int dims = shape.length;
        while (dims > 1 && shape[dims - 1] == 1) {
            dims--; // ggml_n_dims ignores trailing 1s
        }
        return name.endsWith("weight") && dims >= 2 && !name.contains("_norm.weight")
                && !name.contains("ffn_gate_inp.weight");
    }

    /**
     * The type of tensor {@code name} (ggml shape {@code shape}) that is {@code source} now.
     *
     * @param fromHf for a Hugging Face source: tensors that are not converted weights are written as F32
     */
    public GgmlType typeOf(final String name, final long[] shape, final GgmlType source, final boolean fromHf) {
        if (!isConvertedWeight(name, shape)) {
            return fromHf ? GgmlType.F32 : source;
        }
        GgmlType t = fileType.baseType();
        if (fileType.quantized()) {
            t = adjust(t, name, shape[0]);
        }
        return fallback(t, shape[0]);
    }

    private GgmlType adjust(final GgmlType base, final String name, final long rowLength) {
        final FileType f = fileType;
        if (name.equals("output.weight") || !hasOutput && name.equals("token_embd.weight")) {
            if (rowLength % 256 != 0) {
                return GgmlType.Q8_0;
            }
            return base == GgmlType.Q8_0 ? base : GgmlType.Q6_K;
        }
        final int layer = layerOf(name);
        if (name.contains("attn_v.weight")) {
            return switch (f) {
                case Q2_K -> gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                case Q3_K_M -> layer < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                case IQ4_NL -> gqa >= 4 ? GgmlType.Q5_K : base;
                case Q4_K_M, Q5_K_M -> useMoreBits(layer, layers) ? GgmlType.Q6_K : base;
                case Q4_K_S -> layer < 4 ? GgmlType.Q5_K : base;
                default -> base;
            };
        }
        if (name.contains("ffn_down")) {
            return switch (f) {
                case Q2_K -> GgmlType.Q3_K;
                case Q3_K_M -> layer < layers / 16 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                case Q4_K_M, Q5_K_M -> useMoreBits(layer, layers) ? GgmlType.Q6_K : base;
                case IQ4_NL, Q4_K_S -> layer < layers / 8 ? GgmlType.Q5_K : base;
                default -> base;
            };
        }
        if (name.contains("attn_output.weight")) {
            return switch (f) {
                case Q2_K -> GgmlType.Q3_K;
                case Q3_K_M -> GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                default -> base;
            };
        }
        return base;
    }

    /** llama.cpp's use_more_bits: the first and last eighth of the layers, and every third layer between. */
    static boolean useMoreBits(final int layer, final int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    private static GgmlType fallback(final GgmlType t, final long rowLength) {
        if (rowLength % t.blockSize() == 0) {
            return t;
        }
        final GgmlType next = switch (t) {
            case Q2_K, Q3_K, IQ4_XS -> GgmlType.IQ4_NL;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> GgmlType.F16;
        };
        return rowLength % next.blockSize() == 0 ? next : GgmlType.F16;
    }

    private static int layerOf(final String name) {
        if (!name.startsWith("blk.")) {
            return -1;
        }
        final int dot = name.indexOf('.', 4);
        try {
            return Integer.parseInt(name.substring(4, dot));
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
