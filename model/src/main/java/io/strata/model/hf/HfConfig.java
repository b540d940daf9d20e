package io.strata.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.model.ModelFormatException;
import io.strata.model.arch.Architecture;
import io.strata.model.gguf.GgufValue;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A Hugging Face {@code config.json} for the decoder architectures the engine runs, read with transformers'
 * defaults, and written as the hyperparameter keys llama.cpp's {@code convert_hf_to_gguf.py} gives them.
 *
 * @param ropeScaling null, or {@code linear} / {@code llama3} scaling
 */
public record HfConfig(
        String hfArchitecture,
        Architecture architecture,
        int hiddenSize,
        int intermediateSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int vocabSize,
        int maxPositions,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        String torchDtype) {

    /** {@code rope_scaling}: linear (positions divided by factor) or Llama 3.1's per-frequency factors. */
    public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                              int originalMaxPositions) {}

    /** HF architecture class → the engine's architecture (llama.cpp runs Mistral as llama). */
    private static final Map<String, Architecture> ARCHITECTURES = Map.of(
            "LlamaForCausalLM", Architecture.LLAMA,
            "MistralForCausalLM", Architecture.LLAMA,
            "Qwen2ForCausalLM", Architecture.QWEN2,
            "Qwen3ForCausalLM", Architecture.QWEN3);

    public static HfConfig read(final Path dir) {
        final Path file = dir.resolve("config.json");
        final HfJson.Fields f = new HfJson.Fields(file, HfJson.read(file));
        final JsonNode archs = f.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
            throw f.error("architectures", "must name the model class, e.g. [\"LlamaForCausalLM\"]");
        }
        final String hfArch = archs.get(0).textValue();
        final Architecture arch = ARCHITECTURES.get(hfArch);
        if (arch == null) {
            throw f.error("architectures", "model class '" + hfArch + "' is not supported (supported: "
                    + ARCHITECTURES.keySet().stream().sorted().toList() + ")");
        }
        final String act = f.string("hidden_act", f.string("hidden_activation", "silu"));
        if (!act.equals("silu")) {
            throw f.error("hidden_act", "activation '" + act + "' is not supported (the engine's feed-forward is SwiGLU)");
        }
        if (f.bool("mlp_bias", false)) {
            throw f.error("mlp_bias", "feed-forward biases are not supported");
        }
        final int hidden = f.positiveInt("hidden_size");
        final int heads = f.positiveInt("num_attention_heads");
        final int kvHeads = f.positiveInt("num_key_value_heads", heads);
        if (heads % kvHeads != 0) {
            throw f.error("num_key_value_heads", "num_attention_heads " + heads + " is not a multiple of " + kvHeads);
        }
        if (!f.has("head_dim") && hidden % heads != 0) {
            throw f.error("hidden_size", hidden + " is not divisible by num_attention_heads " + heads);
        }
        final int headDim = f.positiveInt("head_dim", hidden / heads);
        if (headDim % 2 != 0) {
            throw f.error("head_dim", "must be even for RoPE, found " + headDim);
        }
        final int ctx = f.positiveInt("max_position_embeddings", 2048);
        // Qwen2 always has q/k/v biases; llama only with attention_bias
        final boolean bias = arch == Architecture.QWEN2 || f.bool("attention_bias", false);
        return new HfConfig(hfArch, arch, hidden, f.positiveInt("intermediate_size"), f.positiveInt("num_hidden_layers"),
                heads, kvHeads, headDim, f.positiveInt("vocab_size"), ctx,
                f.number("rms_norm_eps", 1e-6), f.number("rope_theta", 10000.0), ropeScaling(f),
                f.bool("tie_word_embeddings", false), bias,
                f.string("torch_dtype", f.string("dtype", "float32")));
    }

    private static RopeScaling ropeScaling(final HfJson.Fields f) {
        final JsonNode s = f.get("rope_scaling");
        if (s == null) {
            return null;
        }
        if (!s.isObject()) {
            throw f.error("rope_scaling", "must be an object or null");
        }
        final HfJson.Fields r = new HfJson.Fields(f.file(), s);
        final String type = r.string("rope_type", r.string("type", "default")).toLowerCase(Locale.ROOT);
        return switch (type) {
            case "default" -> null;
            case "linear" -> new RopeScaling(type, r.number("factor", 1.0), 0, 0, 0);
            case "llama3" -> new RopeScaling(type, r.number("factor", 8.0), r.number("low_freq_factor", 1.0),
                    r.number("high_freq_factor", 4.0), r.positiveInt("original_max_position_embeddings", 8192));
            default -> throw f.error("rope_scaling", "RoPE scaling '" + type + "' is not supported (supported: linear, llama3)");
        };
    }

    /** The hyperparameter keys, in convert_hf_to_gguf.py's order and types. */
    void writeMetadata(final Map<String, GgufValue> md) {
        final String p = architecture.ggufName() + ".";
        md.put(p + "block_count", GgufValue.uint32(layers));
        md.put(p + "context_length", GgufValue.uint32(maxPositions));
        md.put(p + "embedding_length", GgufValue.uint32(hiddenSize));
        md.put(p + "feed_forward_length", GgufValue.uint32(intermediateSize));
        md.put(p + "attention.head_count", GgufValue.uint32(heads));
        md.put(p + "attention.head_count_kv", GgufValue.uint32(kvHeads));
        md.put(p + "rope.freq_base", GgufValue.float32((float) ropeTheta));
        md.put(p + "attention.layer_norm_rms_epsilon", GgufValue.float32((float) rmsNormEps));
        if (headDim != hiddenSize / heads || hiddenSize % heads != 0) {
            md.put(p + "attention.key_length", GgufValue.uint32(headDim));
            md.put(p + "attention.value_length", GgufValue.uint32(headDim));
        }
        md.put(p + "vocab_size", GgufValue.uint32(vocabSize));
        md.put(p + "rope.dimension_count", GgufValue.uint32(headDim));
        if (ropeScaling != null && ropeScaling.type().equals("linear")) {
            md.put(p + "rope.scaling.type", GgufValue.of("linear"));
            md.put(p + "rope.scaling.factor", GgufValue.float32((float) ropeScaling.factor()));
        }
    }

    /**
     * Llama 3.1's {@code rope_freqs.weight}: one factor per rotary pair, computed as convert_hf_to_gguf.py's
     * {@code generate_extra_tensors} does (float32 frequencies, double arithmetic for the factors). Null without
     * llama3 scaling.
     */
    float[] ropeFreqFactors() {
        if (ropeScaling == null || !ropeScaling.type().equals("llama3")) {
            return null;
        }
        final float[] out = new float[headDim / 2];
        final double oldCtx = ropeScaling.originalMaxPositions();
        final double lowWavelen = oldCtx / ropeScaling.lowFreqFactor();
        final double highWavelen = oldCtx / ropeScaling.highFreqFactor();
        for (int i = 0; i < out.length; i++) {
            final float freq = (float) (1.0 / Math.pow(ropeTheta, (float) (2 * i) / headDim));
            final double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                out[i] = 1f;
            } else if (wavelen > lowWavelen) {
                out[i] = (float) ropeScaling.factor();
            } else {
                final double smooth = (oldCtx / wavelen - ropeScaling.lowFreqFactor())
                        / (ropeScaling.highFreqFactor() - ropeScaling.lowFreqFactor());
                out[i] = (float) (1 / ((1 - smooth) / ropeScaling.factor() + smooth));
            }
        }
        return out;
    }

    ModelFormatException error(final Path dir, final String problem) {
        return new ModelFormatException(dir.resolve("config.json"), "config", ModelFormatException.NO_OFFSET, problem);
    }
}
