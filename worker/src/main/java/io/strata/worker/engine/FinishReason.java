package io.strata.worker.engine;

/** Why the engine stopped a sequence. */
public enum FinishReason {
    /** The model produced an end-of-generation token (not passed on). */
    END_OF_GENERATION,
    /** The request's token budget is spent. */
    LENGTH,
    /** The sequence reached the end of its context window. */
    CONTEXT_FULL,
    /** The caller cancelled it (client gone, stop string matched). */
    CANCELLED
}
