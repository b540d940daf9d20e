package io.strata.worker.engine;

/** A request the engine accepted. */
public interface Submission {
    /**
     * Stops the sequence at the next step boundary and frees its KV cache; the listener then gets
     * {@link FinishReason#CANCELLED} (or nothing more if it already finished). Safe from any thread, idempotent.
     */
    void cancel();
}
