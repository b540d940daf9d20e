package io.strata.transport;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import org.agrona.BufferUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Sends float tensors as frames on one Aeron stream. A tensor goes as one or more chunks of at most
 * {@link #maxChunkFloats()} floats; a full term buffer (back-pressure) is retried with backoff until the deadline,
 * then reported. The send buffer is allocated once: sending allocates nothing.
 */
public final class TensorSender implements AutoCloseable {
    private final ExclusivePublication publication;
    private final UnsafeBuffer buffer;
    private final MemorySegment payload; // the same memory, for bulk copies of the elements
    private final FrameHeader header = new FrameHeader();
    private final IdleStrategy idle = new BackoffIdleStrategy(1, 10, TimeUnit.MICROSECONDS.toNanos(1),
            TimeUnit.MICROSECONDS.toNanos(200));
    private final int sender;
    private final int maxChunkFloats;
    private final String name;
    private long backPressureEvents;
    private long bytesSent;

    public TensorSender(Aeron aeron, String channel, int streamId, int sender) {
        this.publication = aeron.addExclusivePublication(channel, streamId);
        this.sender = sender;
        int max = Math.min(publication.maxMessageLength(), 256 * 1024);
        this.maxChunkFloats = (max - FrameHeader.LENGTH) / 4;
        java.nio.ByteBuffer direct = BufferUtil.allocateDirectAligned(FrameHeader.LENGTH + 4 * maxChunkFloats, 64);
        this.buffer = new UnsafeBuffer(direct);
        this.payload = MemorySegment.ofBuffer(direct);
        this.name = channel + " stream " + streamId;
    }

    public int maxChunkFloats() { return maxChunkFloats; }

    public boolean isConnected() { return publication.isConnected(); }

    public long backPressureEvents() { return backPressureEvents; }

    public long bytesSent() { return bytesSent; }

    /** Waits until a subscriber is connected, or fails at the deadline ({@link System#nanoTime()}). */
    public void awaitConnected(long deadlineNanos) {
        idle.reset();
        while (!publication.isConnected()) {
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new TransportException(TransportException.Kind.DEADLINE, "no receiver connected to " + name);
            }
            idle.idle();
        }
    }

    /** Sends {@code rows x cols} floats from {@code data[offset..]}. */
    public void send(FrameKind kind, long planVersion, long step, int batchId, int rows, int cols,
                     float[] data, int offset, long deadlineNanos) {
        sendChunks(kind, FrameHeader.DTYPE_F32, planVersion, step, batchId, rows, cols, data, null, offset, deadlineNanos);
    }

    /** Sends {@code rows x cols} ints from {@code data[offset..]} (batch descriptors, token ids). */
    public void sendInts(FrameKind kind, long planVersion, long step, int batchId, int rows, int cols,
                         int[] data, int offset, long deadlineNanos) {
        sendChunks(kind, FrameHeader.DTYPE_I32, planVersion, step, batchId, rows, cols, null, data, offset, deadlineNanos);
    }

    /** One of {@code floats} and {@code ints} is the payload, as {@code dtype} says. */
    private void sendChunks(FrameKind kind, byte dtype, long planVersion, long step, int batchId, int rows, int cols,
                            float[] floats, int[] ints, int offset, long deadlineNanos) {
        int total = Math.multiplyExact(rows, cols);
        int chunks = Math.max(1, (total + maxChunkFloats - 1) / maxChunkFloats);
        for (int c = 0; c < chunks; c++) {
            int from = c * maxChunkFloats;
            int n = Math.min(maxChunkFloats, total - from);
            header.write(buffer, 0, kind, dtype, planVersion, step, batchId, rows, cols, c, chunks, n, sender, from);
            if (ints != null) {
                MemorySegment.copy(ints, offset + from, payload, Payload.INT, FrameHeader.LENGTH, n);
            } else {
                MemorySegment.copy(floats, offset + from, payload, Payload.FLOAT, FrameHeader.LENGTH, n);
            }
            offer(FrameHeader.LENGTH + 4 * n, step, deadlineNanos);
        }
    }

    private void offer(int length, long step, long deadlineNanos) {
        idle.reset();
        while (true) {
            long r = publication.offer(buffer, 0, length);
            if (r > 0) {
                bytesSent += length;
                return;
            }
            if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED) {
                throw new TransportException(TransportException.Kind.CLOSED, name + " is closed (step " + step + ")");
            }
            if (r == Publication.BACK_PRESSURED) {
                backPressureEvents++;
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new TransportException(TransportException.Kind.DEADLINE, "could not send step " + step + " on "
                        + name + " before the deadline: " + (r == Publication.NOT_CONNECTED ? "no receiver connected"
                        : r == Publication.BACK_PRESSURED ? "the receiver is not keeping up (back-pressure)" : "code " + r));
            }
            idle.idle();
        }
    }

    @Override
    public void close() {
        publication.close();
    }
}
