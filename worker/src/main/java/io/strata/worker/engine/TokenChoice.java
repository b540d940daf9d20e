package io.strata.worker.engine;

import io.strata.inference.sampling.TokenLogprobs;

/**
 * An immutable copy of one sampled token's log-probabilities: the chosen token's and the most likely alternatives,
 * descending. The sampler overwrites its own {@link TokenLogprobs} every step; this is what crosses threads.
 */
public record TokenChoice(int token, float logprob, int[] topTokens, float[] topLogprobs) {
    public static TokenChoice copyOf(TokenLogprobs lp) {
        int n = lp.topCount();
        int[] ids = new int[n];
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            ids[i] = lp.topToken(i);
            values[i] = lp.topLogprob(i);
        }
        return new TokenChoice(lp.token(), lp.logprob(), ids, values);
    }
}
