package io.strata.transport;

import io.aeron.Aeron;
import io.aeron.ControlledFragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * Receives float tensors from one sender's stream into a caller's array. Every receive names what it waits for:
 * the frame kind, plan version, step and sequence number within the step ({@code batchId}). A frame from an older
 * plan or step is stale and dropped (counted, never used); one from the future while this tensor is incomplete
 * means the peers disagree and is an error; after the tensor is complete, the next frame is left in the stream
 * for the next receive. Missing the deadline is an error, never a hang.
 */
public final class TensorReceiver implements AutoCloseable {
    private final Subscription subscription;
    private final FrameHeader header = new FrameHeader();
    private final ControlledFragmentAssembler assembler = new ControlledFragmentAssembler(this::onFrame);
    private final IdleStrategy idle = new BackoffIdleStrategy(1, 10, TimeUnit.MICROSECONDS.toNanos(1),
            TimeUnit.MICROSECONDS.toNanos(200));
    private final String name;

    // the receive in progress (fields: the handler is one preallocated object)
    private FrameKind wantKind;
    private long wantPlan;
    private long wantStep;
    private int wantSeq;
    private float[] dst;
    private int[] intDst;
    private int dstOffset;
    private int received;
    private int expected;
    private int capacity;
    private int rows;
    private int cols;
    private int sender;
    private TransportException failure;
    private long staleFrames;
    private long bytesReceived;

    public TensorReceiver(Aeron aeron, String channel, int streamId) {
        this.subscription = aeron.addSubscription(channel, streamId);
        this.name = channel + " stream " + streamId;
    }

    public boolean isConnected() { return subscription.isConnected(); }

    public long staleFrames() { return staleFrames; }

    public long bytesReceived() { return bytesReceived; }

    /** Rows of the last tensor received. */
    public int rows() { return rows; }

    /** Columns of the last tensor received. */
    public int cols() { return cols; }

    /** Sender id of the last tensor received. */
    public int sender() { return sender; }

    /**
     * Receives one whole tensor into {@code out[offset..]} (at most {@code capacity} floats); returns its element
     * count. Fails with {@link TransportException} at the deadline ({@link System#nanoTime()}), on a malformed
     * frame, on a frame from the future, or on a tensor larger than {@code capacity}.
     */
    public int receive(FrameKind kind, long planVersion, long step, int seq, float[] out, int offset, int capacity,
                       long deadlineNanos) {
        dst = out;
        intDst = null;
        return await(kind, planVersion, step, seq, offset, capacity, deadlineNanos);
    }

    /** As {@link #receive}, for a tensor of ints. */
    public int receiveInts(FrameKind kind, long planVersion, long step, int seq, int[] out, int offset, int capacity,
                           long deadlineNanos) {
        dst = null;
        intDst = out;
        return await(kind, planVersion, step, seq, offset, capacity, deadlineNanos);
    }

    private int await(FrameKind kind, long planVersion, long step, int seq, int offset, int capacity, long deadlineNanos) {
        wantKind = kind;
        wantPlan = planVersion;
        wantStep = step;
        wantSeq = seq;
        dstOffset = offset;
        received = 0;
        expected = -1;
        failure = null;
        this.capacity = capacity;
        idle.reset();
        try {
            while (true) {
                int fragments = subscription.controlledPoll(assembler, 64);
                if (failure != null) {
                    throw failure;
                }
                if (expected >= 0 && received == expected) {
                    return expected;
                }
                if (subscription.isClosed()) {
                    throw new TransportException(TransportException.Kind.CLOSED, name + " is closed");
                }
                if (System.nanoTime() - deadlineNanos > 0) {
                    throw new TransportException(TransportException.Kind.DEADLINE, "no complete " + kind + " for plan "
                            + planVersion + " step " + step + "/" + seq + " on " + name + " before the deadline ("
                            + (expected < 0 ? "nothing arrived" : received + " of " + expected + " floats arrived") + ")",
                            expected < 0);
                }
                idle.idle(fragments);
            }
        } finally {
            dst = null;
            intDst = null;
        }
    }

    private Action onFrame(DirectBuffer buffer, int offset, int length, Header aeronHeader) {
        if (expected >= 0 && received == expected) {
            return Action.ABORT; // this tensor is done: the frame belongs to the next receive
        }
        header.wrap(buffer, offset);
        String problem = header.problem(length);
        if (problem != null) {
            failure = new TransportException(TransportException.Kind.MALFORMED, "malformed frame on " + name + ": " + problem);
            return Action.BREAK;
        }
        int order = compare(header.planVersion(), header.step(), header.batchId());
        if (order < 0 || (order == 0 && header.kind() != wantKind)) {
            staleFrames++;
            return Action.CONTINUE;
        }
        if (order > 0) {
            failure = new TransportException(TransportException.Kind.OUT_OF_ORDER, "on " + name + " a " + header.kind()
                    + " frame for plan " + header.planVersion() + " step " + header.step() + "/" + header.batchId()
                    + " arrived while waiting for plan " + wantPlan + " step " + wantStep + "/" + wantSeq);
            return Action.BREAK;
        }
        if ((header.dtype() == FrameHeader.DTYPE_I32) != (intDst != null)) {
            failure = new TransportException(TransportException.Kind.MALFORMED, "a " + header.kind() + " frame on " + name
                    + " carries " + (header.dtype() == FrameHeader.DTYPE_I32 ? "ints" : "floats") + ", expected the other");
            return Action.BREAK;
        }
        int elements = header.rows() * header.cols();
        if (expected < 0) {
            if (elements > capacity) {
                failure = new TransportException(TransportException.Kind.MALFORMED, "a " + header.rows() + "x" + header.cols()
                        + " tensor on " + name + " exceeds the " + capacity + " floats expected");
                return Action.BREAK;
            }
            expected = elements;
            rows = header.rows();
            cols = header.cols();
            sender = header.sender();
        } else if (elements != expected) {
            failure = new TransportException(TransportException.Kind.MALFORMED, "chunks of one tensor disagree on its shape on " + name);
            return Action.BREAK;
        }
        int n = header.floats();
        int at = dstOffset + header.elementOffset();
        copyElements(buffer, offset + FrameHeader.LENGTH, at, n);
        received += n;
        bytesReceived += length;
        return received == expected ? Action.BREAK : Action.CONTINUE;
    }

    /** Copies n elements from the frame into the destination: in bulk from off-heap terms, else one by one. */
    private void copyElements(DirectBuffer buffer, int from, int at, int n) {
        if (buffer.byteArray() == null) {
            MemorySegment src = MemorySegment.ofAddress(buffer.addressOffset() + from).reinterpret(4L * n);
            if (intDst != null) {
                MemorySegment.copy(src, Payload.INT, 0, intDst, at, n);
            } else {
                MemorySegment.copy(src, Payload.FLOAT, 0, dst, at, n);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            if (intDst != null) {
                intDst[at + i] = buffer.getInt(from + 4 * i, ByteOrder.LITTLE_ENDIAN);
            } else {
                dst[at + i] = buffer.getFloat(from + 4 * i, ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    /** Where a frame's (plan, step, seq) stands relative to the one awaited: <0 older, 0 the same, >0 newer. */
    private int compare(long plan, long step, int seq) {
        if (plan != wantPlan) {
            return Long.compare(plan, wantPlan);
        }
        if (step != wantStep) {
            return Long.compare(step, wantStep);
        }
        return Integer.compare(seq, wantSeq);
    }

    @Override
    public void close() {
        subscription.close();
    }
}
