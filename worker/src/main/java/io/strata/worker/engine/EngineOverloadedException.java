package io.strata.worker.engine;

/** The engine's queue is full: the caller should retry later (HTTP 429 with Retry-After). */
public final class EngineOverloadedException extends Exception {
    private final int retryAfterSeconds;

    public EngineOverloadedException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() { return retryAfterSeconds; }
}
