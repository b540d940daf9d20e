package io.strata.model.synth;

import io.strata.model.arch.Architecture;

import java.nio.file.Path;

/**
 * What {@link SyntheticModelWriter} makes: a random-weight model of a given architecture and shape, quantized as
 * {@code quantization} (a tensor type such as Q8_0, or a llama.cpp mix such as Q4_K_M), deterministic by seed.
 * The vocabulary comes from {@code vocabFrom} (any GGUF with tokenizer metadata) or, when null, is a generated
 * SentencePiece-style vocabulary of {@code vocabSize} tokens.
 */
public record SyntheticModelSpec(
        Architecture architecture,
        int embeddingLength,
        int layers,
        int heads,
        int kvHeads,
        int feedForwardLength,
        int vocabSize,
        Path vocabFrom,
        boolean tiedEmbeddings,
        float ropeFreqBase,
        int contextLength,
        QuantizationMix quantization,
        long seed) {

    public SyntheticModelSpec {
        require(embeddingLength > 0 && layers > 0 && heads > 0 && kvHeads > 0 && feedForwardLength > 0, "dimensions must be positive");
        require(embeddingLength % heads == 0, "--dim " + embeddingLength + " must be a multiple of --heads " + heads);
        require(heads % kvHeads == 0, "--heads " + heads + " must be a multiple of --kv-heads " + kvHeads);
        require((embeddingLength / heads) % 2 == 0, "head dimension " + embeddingLength / heads + " must be even (RoPE)");
        require(vocabFrom != null || vocabSize >= 260, "a generated vocabulary needs at least 260 tokens (3 special + 256 bytes + 1)");
    }

    /** Llama-3.2-1B's shape: n_embd 2048, 16 layers, 32 heads, 8 KV heads, n_ff 8192, vocab 128256, tied. */
    public static SyntheticModelSpec llama32_1b(Path vocabFrom, QuantizationMix q, long seed) {
        return new SyntheticModelSpec(Architecture.LLAMA, 2048, 16, 32, 8, 8192, 128256, vocabFrom, true, 500000f, 131072, q, seed);
    }

    public int headDim() { return embeddingLength / heads; }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
