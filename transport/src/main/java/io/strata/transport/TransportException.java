package io.strata.transport;

/** A data-plane failure, never a hang: what went wrong and with which step, stream and peer. */
public final class TransportException extends RuntimeException {
    /** What kind of failure it is. */
    public enum Kind {
        /** Nothing (or not all of it) arrived before the deadline. */
        DEADLINE,
        /** A frame from a newer plan or a later step than expected: the peers disagree about where they are. */
        OUT_OF_ORDER,
        /** Bytes that are not a frame of this protocol. */
        MALFORMED,
        /** The publication or subscription is closed. */
        CLOSED
    }

    private final Kind kind;

    public TransportException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}
