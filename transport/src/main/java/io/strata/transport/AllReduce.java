package io.strata.transport;

import io.aeron.Aeron;

import java.util.List;

/**
 * Sum all-reduce and all-gather among the tensor-parallel ranks of one stage, by direct exchange: each rank sends
 * its part to every peer and receives every peer's (for the 2-4 ranks of a stage this is fewer hops than a ring).
 * The sum is taken in rank order on every rank, so all ranks hold the same bits. Stream id
 * {@code base + receiver * ranks + sender} carries sender's frames to receiver on receiver's endpoint.
 *
 * <p>Not thread-safe; one instance per rank, used by that rank's step loop. Allocates its scratch once.
 */
public final class AllReduce implements AutoCloseable {
    private final int rank;
    private final int ranks;
    private final TensorSender[] toPeer;
    private final TensorReceiver[] fromPeer;
    private final float[][] parts;
    private int seq;
    private final Histogram latency = new Histogram();

    /**
     * @param channels   channel of each rank's receiving endpoint, by rank ({@link Channels#udp} or {@link Channels#ipc})
     * @param maxFloats  the largest tensor reduced
     */
    public AllReduce(Aeron aeron, List<String> channels, int rank, int streamBase, int maxFloats) {
        this.rank = rank;
        this.ranks = channels.size();
        if (rank < 0 || rank >= ranks) {
            throw new IllegalArgumentException("rank " + rank + " outside 0.." + (ranks - 1));
        }
        this.toPeer = new TensorSender[ranks];
        this.fromPeer = new TensorReceiver[ranks];
        this.parts = new float[ranks][];
        for (int p = 0; p < ranks; p++) {
            if (p == rank) {
                continue;
            }
            toPeer[p] = new TensorSender(aeron, channels.get(p), streamBase + p * ranks + rank, rank);
            fromPeer[p] = new TensorReceiver(aeron, channels.get(rank), streamBase + rank * ranks + p);
            parts[p] = new float[maxFloats];
        }
    }

    public int rank() { return rank; }

    public int ranks() { return ranks; }

    /** Waits until every peer's publication is connected. */
    public void awaitConnected(long deadlineNanos) {
        for (int p = 0; p < ranks; p++) {
            if (p != rank) {
                toPeer[p].awaitConnected(deadlineNanos);
            }
        }
    }

    /** Starts a new step: operation numbers restart, so peers pair up their n-th reduce of the step. */
    public void beginStep() {
        seq = 0;
    }

    /** data[offset .. offset+n) = the sum over ranks of every rank's data, in rank order. */
    public void sum(long planVersion, long step, float[] data, int offset, int n, long deadlineNanos) {
        long start = System.nanoTime();
        int op = seq++;
        exchange(FrameKind.ALL_REDUCE, planVersion, step, op, data, offset, n, deadlineNanos);
        // rank order on every rank: ((d0 + d1) + d2) + ...
        for (int i = 0; i < n; i++) {
            float acc = rank == 0 ? data[offset + i] : parts[0][i];
            for (int p = 1; p < ranks; p++) {
                acc += p == rank ? data[offset + i] : parts[p][i];
            }
            data[offset + i] = acc;
        }
        latency.record(System.nanoTime() - start);
    }

    /** out[p*n .. (p+1)*n) = rank p's {@code part}, for every rank p. */
    public void gather(long planVersion, long step, float[] part, int n, float[] out, long deadlineNanos) {
        gather(planVersion, step, part, 0, n, out, 0, deadlineNanos);
    }

    /** out[outOffset + p*n ..] = rank p's part[partOffset .. partOffset+n), for every rank p. */
    public void gather(long planVersion, long step, float[] part, int partOffset, int n, float[] out, int outOffset,
                       long deadlineNanos) {
        int op = seq++;
        exchange(FrameKind.ALL_GATHER, planVersion, step, op, part, partOffset, n, deadlineNanos);
        for (int p = 0; p < ranks; p++) {
            if (p == rank) {
                System.arraycopy(part, partOffset, out, outOffset + p * n, n);
            } else {
                System.arraycopy(parts[p], 0, out, outOffset + p * n, n);
            }
        }
    }

    private void exchange(FrameKind kind, long planVersion, long step, int op, float[] data, int offset, int n,
                          long deadlineNanos) {
        for (int p = 0; p < ranks; p++) {
            if (p != rank) {
                toPeer[p].send(kind, planVersion, step, op, 1, n, data, offset, deadlineNanos);
            }
        }
        for (int p = 0; p < ranks; p++) {
            if (p != rank) {
                int got = fromPeer[p].receive(kind, planVersion, step, op, parts[p], 0, parts[p].length, deadlineNanos);
                if (got != n) {
                    throw new TransportException(TransportException.Kind.MALFORMED, "rank " + p + " sent " + got
                            + " floats to a " + kind + " of " + n);
                }
            }
        }
    }

    /** Latencies of {@link #sum} calls so far. */
    public Histogram latency() { return latency; }

    public long bytesSent() {
        long b = 0;
        for (TensorSender s : toPeer) {
            b += s == null ? 0 : s.bytesSent();
        }
        return b;
    }

    public long bytesReceived() {
        long b = 0;
        for (TensorReceiver r : fromPeer) {
            b += r == null ? 0 : r.bytesReceived();
        }
        return b;
    }

    public long backPressureEvents() {
        long b = 0;
        for (TensorSender s : toPeer) {
            b += s == null ? 0 : s.backPressureEvents();
        }
        return b;
    }

    @Override
    public void close() {
        for (int p = 0; p < ranks; p++) {
            if (toPeer[p] != null) {
                toPeer[p].close();
                fromPeer[p].close();
            }
        }
    }
}
