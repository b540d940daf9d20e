package io.strata.inference;

import io.strata.kernels.cpu.MatMul;
import io.strata.model.ModelSource;
import io.strata.model.arch.ModelConfig;
import io.strata.model.tokenizer.Tokenizer;

import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * A model opened for inference in this process: a GGUF file or a Hugging Face safetensors directory
 * ({@link ModelSource}), its hyperparameters, its weights (still in the mapping) and its tokenizer. The native
 * kernels' copies of some matrices ({@link MatMul#withKernelLayout}) are made on first use in an arena of the
 * model's. Closing it unmaps the files and frees the copies; nothing may use the weights afterwards.
 */
public final class LocalModel implements AutoCloseable {
    private final ModelSource file;
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Tokenizer tokenizer;
    private final Arena copies;

    private LocalModel(ModelSource file, ModelConfig config, ModelWeights weights, Tokenizer tokenizer, Arena copies) {
        this.file = file;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.copies = copies;
    }

    /** Opens a GGUF file or a Hugging Face model directory. */
    public static LocalModel open(Path path) {
        return open(ModelSource.open(path));
    }

    /**
     * A model over a source already opened (a GGUF, a region of a packaged jar, a Hugging Face directory); closing
     * the model closes it.
     */
    public static LocalModel open(ModelSource f) {
        Arena copies = Arena.ofShared();
        try {
            ModelConfig c = ModelConfig.of(f);
            Tokenizer t = Tokenizer.fromGguf(f.metadata());
            ModelWeights w = ModelWeights.load(f, c).withKernelLayouts(m -> MatMul.withKernelLayout(m, copies));
            return new LocalModel(f, c, w, t, copies);
        } catch (RuntimeException e) {
            copies.close();
            f.close();
            throw e;
        }
    }

    /** The model's files: GGUF metadata and tensors, whatever the format on disk. */
    public ModelSource file() { return file; }

    public ModelConfig config() { return config; }

    public ModelWeights weights() { return weights; }

    public Tokenizer tokenizer() { return tokenizer; }

    /** The Jinja chat template stored in the file (tokenizer_config.json for a directory), or null. */
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
        try {
            copies.close();
        } finally {
            file.close();
        }
    }
}
