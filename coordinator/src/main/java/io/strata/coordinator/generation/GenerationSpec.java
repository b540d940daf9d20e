package io.strata.coordinator.generation;

import io.strata.inference.sampling.SamplingParams;

import java.util.List;

/**
 * One choice to generate, as the API handlers resolve a request: prompt tokens, sampling, token budget, stop
 * strings and how many log-probability alternatives to report (0 with {@code wantLogprobs} = only the chosen token's).
 */
public record GenerationSpec(int[] prompt, SamplingParams sampling, int maxTokens, List<String> stop,
                             boolean wantLogprobs, int topLogprobs, boolean ignoreEos) {
    public GenerationSpec {
        stop = List.copyOf(stop);
    }

    public GenerationSpec(int[] prompt, SamplingParams sampling, int maxTokens, List<String> stop,
                          boolean wantLogprobs, int topLogprobs) {
        this(prompt, sampling, maxTokens, stop, wantLogprobs, topLogprobs, false);
    }
}
