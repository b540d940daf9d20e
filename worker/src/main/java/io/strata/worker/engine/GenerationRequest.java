package io.strata.worker.engine;

import io.strata.inference.sampling.SamplingParams;

import java.util.Objects;

/**
 * One sequence to generate, as the engine sees it: token ids in, token ids out. Text, templates and stop strings
 * belong to the coordinator; the engine only knows end-of-generation tokens and the token budget.
 *
 * @param id        the caller's name for the request (logs, errors)
 * @param prompt    the prompt's token ids, at least one
 * @param sampling  how each next token is chosen
 * @param maxTokens the most tokens to generate, at least 1
 * @param ignoreEos  keep generating past end-of-generation tokens (benchmarks: a fixed number of tokens)
 */
public record GenerationRequest(String id, int[] prompt, SamplingParams sampling, int maxTokens, boolean ignoreEos) {
    public GenerationRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampling, "sampling");
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: nothing to condition on");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
    }

    /**
     * Checks that the prompt fits an engine of this context and vocabulary.
     *
     * @throws IllegalArgumentException naming the first thing that does not fit
     */
    public void requireFits(int contextSize, int vocabSize) {
        if (prompt.length >= contextSize) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the context holds "
                    + contextSize + " (prompt and generated tokens together)");
        }
        for (int t : prompt) {
            if (t < 0 || t >= vocabSize) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary of " + vocabSize + " tokens");
            }
        }
    }

    public GenerationRequest(String id, int[] prompt, SamplingParams sampling, int maxTokens) {
        this(id, prompt, sampling, maxTokens, false);
    }
}
