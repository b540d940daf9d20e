package io.strata.worker.engine;

import io.strata.inference.sampling.SamplingParams;

/**
 * Sampling done where the logits are (a cluster's last stage), so that only token ids and log-probabilities
 * travel back to the scheduler. The scheduler tells it when a sequence starts in a slot; after each forward pass
 * it reads the chosen token of every logits row instead of sampling the logits itself.
 */
public interface RemoteSampling {
    /** Slot {@code slot}'s next sequence samples with {@code params}, its penalty window holding {@code prompt}. */
    void begin(int slot, SamplingParams params, int[] prompt);

    /** The token chosen for logits row {@code row} of the last forward pass. */
    int token(int row);

    /** Its log-probabilities (a copy), or null when the sequence asked for none. */
    TokenChoice choice(int row);
}
