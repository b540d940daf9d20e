package io.strata.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of persistent threads for data-parallel loops: {@link #parallelFor} splits [0, n) into one
 * contiguous range per thread (the caller runs the first) and returns when all are done. Threads spin briefly
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
        if (workers.length == 0 || n <= alignment) {
            body.run(0, n, 0);
            return;
        }
        task = body;
        count = n;
        grain = Math.max(1, alignment);
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
        int n = count;
        int g = grain;
        int chunks = (n + g - 1) / g;
        int parts = size();
        int from = (int) ((long) chunks * id / parts) * g;
        int to = Math.min(n, (int) ((long) chunks * (id + 1) / parts) * g);
        if (from < to) {
            task.run(from, to, id);
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
