package io.strata.inference;

import io.strata.model.arch.ModelConfig;
import io.strata.model.gguf.GgufFile;
import io.strata.model.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * A GGUF model opened for inference in this process: the mapped file, its hyperparameters, its weights (still in
 * the mapping) and its tokenizer. Closing it unmaps the file; nothing may use the weights afterwards.
 */
public final class LocalModel implements AutoCloseable {
    private final GgufFile file;
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Tokenizer tokenizer;

    private LocalModel(GgufFile file, ModelConfig config, ModelWeights weights, Tokenizer tokenizer) {
        this.file = file;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
    }

    public static LocalModel open(Path path) {
        GgufFile f = GgufFile.open(path);
        try {
            ModelConfig c = ModelConfig.fromGguf(f.metadata(), f.name());
            Tokenizer t = Tokenizer.fromGguf(f.metadata());
            ModelWeights w = ModelWeights.load(f, c);
            return new LocalModel(f, c, w, t);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    public GgufFile file() { return file; }

    public ModelConfig config() { return config; }

    public ModelWeights weights() { return weights; }

    public Tokenizer tokenizer() { return tokenizer; }

    /** The Jinja chat template stored in the file, or null. */
    public String chatTemplate() {
        return file.metadata().getString("tokenizer.chat_template", null);
    }

    /** A transformer with scratch space for {@code batchTokens} tokens per step and {@code context} positions. */
    public Transformer newTransformer(int batchTokens, int context) {
        return new Transformer(config, weights, batchTokens, context);
    }

    /** A transformer for one tensor-parallel rank, on {@code threads} compute threads. */
    public Transformer newTransformer(int batchTokens, int context, int threads, TensorParallel tp) {
        return new Transformer(config, weights, batchTokens, context, threads, tp);
    }

    @Override
    public void close() {
        file.close();
    }
}
