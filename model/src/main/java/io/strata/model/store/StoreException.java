package io.strata.model.store;

/** The model store refused an operation or found something wrong; the message says what and where. */
public class StoreException extends RuntimeException {
    public StoreException(final String message) {
        super(message);
    }

    public StoreException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
