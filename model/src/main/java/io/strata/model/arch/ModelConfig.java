package io.strata.model.arch;

import io.strata.model.ModelFormatException;
import io.strata.model.ModelSource;
import io.strata.model.gguf.GgufMetadata;

/**
 * A decoder-only transformer's hyperparameters, read from GGUF metadata with llama.cpp's defaults
 * (formats.md 4.1). Per-layer head counts and feed-forward sizes are not supported yet: files that vary them by
 * layer are refused with a clear message.
 */
public record ModelConfig(
        Architecture architecture,
        String name,
        int embeddingLength,
        int layerCount,
        int headCount,
        int kvHeadCount,
        int headDim,
        int valueDim,
        int feedForwardLength,
        int vocabSize,
        int contextLength,
        int ropeDimensions,
        float ropeFreqBase,
        float ropeFreqScale,
        float rmsNormEps,
        Architecture.RopeType ropeType) {

    public ModelConfig {
        if (ropeType == null) {
            ropeType = architecture.ropeType();
        }
        if (headCount <= 0 || kvHeadCount <= 0 || headCount % kvHeadCount != 0) {
            throw new IllegalArgumentException("head_count " + headCount + " must be a positive multiple of head_count_kv " + kvHeadCount);
        }
    }

    /** A configuration with the architecture's own RoPE type. */
    public ModelConfig(Architecture architecture, String name, int embeddingLength, int layerCount, int headCount,
                       int kvHeadCount, int headDim, int valueDim, int feedForwardLength, int vocabSize, int contextLength,
                       int ropeDimensions, float ropeFreqBase, float ropeFreqScale, float rmsNormEps) {
        this(architecture, name, embeddingLength, layerCount, headCount, kvHeadCount, headDim, valueDim,
                feedForwardLength, vocabSize, contextLength, ropeDimensions, ropeFreqBase, ropeFreqScale, rmsNormEps,
                architecture.ropeType());
    }

    /**
     * The configuration of a model source: its GGUF metadata, with NEOX RoPE for a llama whose q/k rows are in
     * Hugging Face's rotate-half order (the same model as interleaved RoPE on the converter's permuted rows).
     */
    public static ModelConfig of(ModelSource source) {
        ModelConfig c = fromGguf(source.metadata(), source.name());
        return source.rotateHalfQk() ? c.withRopeType(Architecture.RopeType.NEOX) : c;
    }

    public ModelConfig withRopeType(Architecture.RopeType type) {
        return new ModelConfig(architecture, name, embeddingLength, layerCount, headCount, kvHeadCount, headDim, valueDim,
                feedForwardLength, vocabSize, contextLength, ropeDimensions, ropeFreqBase, ropeFreqScale, rmsNormEps, type);
    }

    public int queryDim() { return headCount * headDim; }

    public int kvDim() { return kvHeadCount * headDim; }

    public int kvValueDim() { return kvHeadCount * valueDim; }

    /** How many query heads share one KV head (GQA). */
    public int groupSize() { return headCount / kvHeadCount; }

    public static ModelConfig fromGguf(GgufMetadata md, String file) {
        String archName = md.getString("general.architecture");
        Architecture arch = Architecture.byGgufName(archName);
        if (arch == null) {
            throw new ModelFormatException(file, "metadata 'general.architecture'", ModelFormatException.NO_OFFSET,
                    "architecture '" + archName + "' is not supported (supported: " + Architecture.supportedNames() + ")");
        }
        String p = archName + ".";
        int embd = positive(md, p + "embedding_length", md.getCount(p + "embedding_length"));
        int layers = positive(md, p + "block_count", md.getCount(p + "block_count"));
        int heads = uniform(md, p + "attention.head_count", layers);
        int kvHeads = md.contains(p + "attention.head_count_kv") ? uniform(md, p + "attention.head_count_kv", layers) : heads;
        int ff = uniform(md, p + "feed_forward_length", layers);
        if (embd % heads != 0 && !md.contains(p + "attention.key_length")) {
            throw md.error(p + "embedding_length", "embedding length " + embd + " is not divisible by head count " + heads);
        }
        int headDim = positive(md, p + "attention.key_length", md.getCount(p + "attention.key_length", embd / heads));
        int valueDim = positive(md, p + "attention.value_length", md.getCount(p + "attention.value_length", embd / heads));
        if (valueDim != headDim) {
            throw md.error(p + "attention.value_length", "value length " + valueDim + " differs from key length " + headDim + " (not supported)");
        }
        if (heads % kvHeads != 0) {
            throw md.error(p + "attention.head_count_kv", "head count " + heads + " is not a multiple of KV head count " + kvHeads);
        }
        int ropeDim = md.getCount(p + "rope.dimension_count", headDim);
        if (ropeDim > headDim || ropeDim % 2 != 0) {
            throw md.error(p + "rope.dimension_count", "rope dimension " + ropeDim + " must be even and at most the head dimension " + headDim);
        }
        String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
        int vocab = md.getCount(p + "vocab_size", tokens == null ? 0 : tokens.length);
        float base = md.getFloat(p + "rope.freq_base", 10000f);
        String scalingType = md.getString(p + "rope.scaling.type", "linear");
        float factor = md.getFloat(p + "rope.scaling.factor", md.getFloat(p + "rope.scale_linear", 0f));
        float freqScale = switch (scalingType) {
            case "none" -> 1f;
            case "linear" -> factor == 0f ? 1f : 1f / factor;
            default -> throw md.error(p + "rope.scaling.type", "RoPE scaling '" + scalingType + "' is not supported (supported: none, linear; Llama 3.1 scaling comes from rope_freqs.weight)");
        };
        float eps = md.getFloat(p + "attention.layer_norm_rms_epsilon", Float.NaN);
        if (Float.isNaN(eps)) {
            throw md.error(p + "attention.layer_norm_rms_epsilon", "required key is missing");
        }
        int ctx = md.getCount(p + "context_length");
        return new ModelConfig(arch, md.getString("general.name", ""), embd, layers, heads, kvHeads, headDim, valueDim,
                ff, vocab, ctx, ropeDim, base, freqScale, eps);
    }

    private static int uniform(GgufMetadata md, String key, int layers) {
        int[] perLayer = md.getPerLayer(key, layers, null);
        if (perLayer == null) {
            throw md.error(key, "required key is missing");
        }
        for (int v : perLayer) {
            if (v != perLayer[0]) {
                throw md.error(key, "differs between layers (not supported yet)");
            }
        }
        return positive(md, key, perLayer[0]);
    }

    private static int positive(GgufMetadata md, String key, int v) {
        if (v <= 0) {
            throw md.error(key, "must be positive, found " + v);
        }
        return v;
    }
}
