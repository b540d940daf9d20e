package io.strata.model.remote;

/** A pull or push failed; the message names the source, what went wrong and what was kept. */
public class TransferException extends RuntimeException {
    public TransferException(final String message) {
        super(message);
    }

    public TransferException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
