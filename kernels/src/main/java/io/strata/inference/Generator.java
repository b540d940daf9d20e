package io.strata.inference;

import io.strata.inference.sampling.Sampler;

/**
 * Runs one sequence: prefill of the prompt in chunks of the transformer's batch size, then decode token by token
 * until the token budget, an end-of-generation token or the sink says stop. The KV cache persists across calls,
 * so a chat continues where it left off and a shared prompt prefix is not recomputed.
 */
public final class Generator implements AutoCloseable {

    /** Receives each generated token; returns false to stop. */
    @FunctionalInterface
    public interface TokenSink {
        boolean accept(int token);
    }

    /** Why generation stopped. */
    public enum StopReason { LENGTH, END_OF_GENERATION, STOPPED_BY_CALLER, CONTEXT_FULL }

    private final LocalModel model;
    private final Transformer transformer;
    private final KvCache cache;
    private final Batch batch;
    private final float[] logits;
    private final int[] history;

    public Generator(LocalModel model, int contextSize, int batchTokens) {
        this.model = model;
        this.transformer = model.newTransformer(batchTokens, contextSize);
        this.cache = new KvCache(model.config(), contextSize);
        this.batch = new Batch(batchTokens);
        this.logits = new float[model.config().vocabSize()];
        this.history = new int[contextSize];
    }

    public int contextSize() { return cache.capacity(); }

    /** Tokens currently in the cache. */
    public int length() { return cache.length(); }

    /**
     * Feeds {@code prompt}, reusing the longest cached prefix, and samples up to {@code maxTokens} tokens.
     * {@code maxTokens} < 0 means until the context is full.
     */
    public StopReason generate(int[] prompt, Sampler sampler, int maxTokens, TokenSink sink) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: nothing to condition on");
        }
        if (prompt.length >= cache.capacity()) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens does not fit the context of "
                    + cache.capacity() + " tokens");
        }
        int common = 0;
        while (common < cache.length() && common < prompt.length - 1 && history[common] == prompt[common]) {
            common++;
        }
        cache.truncate(common);
        for (int t : prompt) {
            sampler.accept(t);
        }
        prefill(prompt, common);
        int produced = 0;
        while (true) {
            int token = sampler.sample(logits, 0, model.config().vocabSize());
            sampler.accept(token);
            if (model.tokenizer().vocabulary().isEndOfGeneration(token)) {
                return StopReason.END_OF_GENERATION;
            }
            produced++;
            if (!sink.accept(token)) {
                return StopReason.STOPPED_BY_CALLER;
            }
            if (maxTokens >= 0 && produced >= maxTokens) {
                // the last token is not fed: a follow-up prompt that contains it recomputes just that one position
                return StopReason.LENGTH;
            }
            if (cache.length() + 1 >= cache.capacity()) {
                return StopReason.CONTEXT_FULL;
            }
            step(token);
        }
    }

    private void prefill(int[] prompt, int from) {
        int chunk = transformer.maxBatchTokens();
        for (int start = from; start < prompt.length; start += chunk) {
            int end = Math.min(prompt.length, start + chunk);
            batch.clear();
            batch.addSequence(cache, prompt, start, end);
            System.arraycopy(prompt, start, history, start, end - start);
            transformer.forward(batch, logits);
        }
    }

    private void step(int token) {
        if (cache.length() >= cache.capacity()) {
            return;
        }
        history[cache.length()] = token;
        batch.clear();
        batch.add(cache, token, cache.length(), true);
        transformer.forward(batch, logits);
    }

    /** The logits after the last forward pass (valid until the next call). */
    public float[] lastLogits() { return logits; }

    @Override
    public void close() {
        transformer.close();
    }
}
