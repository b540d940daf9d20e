package io.strata.model.tokenizer;

import java.util.Optional;

/** The tokenizer algorithms Strata implements, keyed by the GGUF value of {@code tokenizer.ggml.model}. */
public enum TokenizerModel {
    /** {@code llama}: SentencePiece-style vocabulary, llama.cpp's bigram merge by score with byte fallback. */
    SPM("llama"),
    /** {@code gpt2}: byte-level BPE with merges and a regex pre-tokenizer chosen by {@code tokenizer.ggml.pre}. */
    BPE("gpt2"),
    /** {@code bert}: WordPiece, greedy longest match per word. */
    WPM("bert");

    private final String ggufName;

    TokenizerModel(final String ggufName) {
        this.ggufName = ggufName;
    }

    /** The value of {@code tokenizer.ggml.model} that selects this model. */
    public String ggufName() {
        return ggufName;
    }

    public static Optional<TokenizerModel> fromGgufName(final String name) {
        for (TokenizerModel m : values()) {
            if (m.ggufName.equals(name)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
