package io.strata.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of persistent threads for data-parallel loops: {@link #parallelFor} splits [0, n) into one
 * contiguous range per thread (the caller runs the first) and returns when all are done; {@link #parallelForPieces}
 * cuts it into more pieces than threads, which the threads take in turn. Threads spin briefly
 * for the next loop, then park, so back-to-back matrix products cost microseconds and an idle engine costs
 * nothing. Nothing is allocated per loop. Not re-entrant: one caller thread drives the team.
 */
public final class ThreadTeam implements AutoCloseable {

    /** The body of a parallel loop over [from, to); {@code worker} is 0..size-1, unique per concurrent range. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to, int worker);
    }

    private static final int SPINS = 20_000;

    private final Thread[] workers;
    private final AtomicInteger remaining = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile RangeTask task;
    private volatile int count;
    private volatile int grain;
    /** 0: one range per thread; otherwise the number of pieces, claimed through {@link #nextPiece}. */
    private volatile int pieces;
    private final AtomicInteger nextPiece = new AtomicInteger();
    private volatile Throwable failure;

    public ThreadTeam(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("a thread team needs at least one thread, got " + threads);
        }
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int id = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("strata-compute-" + id).unstarted(() -> loop(id));
            workers[i].start();
        }
    }

    /** The number of threads, the caller included. */
    public int size() { return workers.length + 1; }

    /**
     * Runs {@code body} over [0, n) split into {@link #size()} ranges whose bounds are multiples of
     * {@code alignment} (except the end), so threads never share a cache line of output.
     */
    public void parallelFor(int n, int alignment, RangeTask body) {
        run(n, alignment, 0, body);
    }

    /**
     * Runs {@code body} over [0, n) cut into {@code pieces} ranges whose bounds are multiples of {@code alignment}
     * (except the end); each thread takes the next piece not yet taken when it finishes one. Why: on a shared
     * machine one thread can run slower than the other for a while, and with one range each the loop waits for the
     * slow one's whole share; with pieces it waits for one piece at most. Which thread runs which piece varies from
     * call to call, so a body must not depend on it (per-worker scratch is fine, per-worker results are not).
     */
    public void parallelForPieces(int n, int alignment, int pieces, RangeTask body) {
        run(n, alignment, Math.max(1, pieces), body);
    }

    private void run(int n, int alignment, int pieceCount, RangeTask body) {
        if (workers.length == 0 || n <= alignment) {
            body.run(0, n, 0);
            return;
        }
        task = body;
        count = n;
        grain = Math.max(1, alignment);
        pieces = pieceCount;
        nextPiece.set(0);
        failure = null;
        remaining.set(workers.length);
        generation++;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        runRange(0);
        int spins = 0;
        while (remaining.get() > 0) {
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        task = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(f);
        }
    }

    private void runRange(int id) {
        int p = pieces;
        if (p == 0) {
            runPiece(id, size(), id);
            return;
        }
        for (int piece = nextPiece.getAndIncrement(); piece < p; piece = nextPiece.getAndIncrement()) {
            runPiece(piece, p, id);
        }
    }

    /** Piece {@code piece} of {@code parts} of [0, count), its bounds multiples of the grain. */
    private void runPiece(int piece, int parts, int worker) {
        int n = count;
        int g = grain;
        int chunks = (n + g - 1) / g;
        int from = (int) ((long) chunks * piece / parts) * g;
        int to = Math.min(n, (int) ((long) chunks * (piece + 1) / parts) * g);
        if (from < to) {
            task.run(from, to, worker);
        }
    }

    private void loop(int id) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            try {
                runRange(id);
            } catch (Throwable t) {
                failure = t;
            } finally {
                remaining.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
