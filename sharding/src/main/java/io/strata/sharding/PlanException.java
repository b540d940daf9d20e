package io.strata.sharding;

/** No plan fits the request; the message says why and what would make one fit. */
public final class PlanException extends RuntimeException {
    public PlanException(final String message) {
        super(message);
    }
}
