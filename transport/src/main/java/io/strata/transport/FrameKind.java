package io.strata.transport;

/** What a frame carries; the receiver checks it is the kind it waits for. */
public enum FrameKind {
    /** A stage's hidden states for the next stage. */
    HIDDEN_STATE,
    /** One rank's partial sums in an all-reduce. */
    ALL_REDUCE,
    /** One rank's part in an all-gather (a vocabulary slice of logits, say). */
    ALL_GATHER,
    /** Sampled token ids and log-probabilities back to the head. */
    TOKENS,
    /** A step's batch descriptor (token ids, positions, sequence slots, flags) from the head to every rank. */
    BATCH,
    /** Sequences starting to sample (slot, sampling parameters, prompt) from the head to the last stage. */
    SAMPLING;

    private static final FrameKind[] VALUES = values();

    static FrameKind of(int code) {
        return code >= 0 && code < VALUES.length ? VALUES[code] : null;
    }
}
