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
    private final boolean nothingArrived;

    public TransportException(Kind kind, String message) {
        this(kind, message, false);
    }

    public TransportException(Kind kind, String message, boolean nothingArrived) {
        super(message);
        this.kind = kind;
        this.nothingArrived = nothingArrived;
    }

    public Kind kind() { return kind; }

    /** A deadline that passed before any frame of the awaited message came: an idle wait, not a broken one. */
    public boolean nothingArrived() { return nothingArrived; }
}
