package io.strata.kernels.cpu;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Bytes allocated by the calling thread and the compute team's threads ({@code strata-compute-*}) while a step
 * runs, for the allocation tests. JIT compilation happens in the background, and until the Vector API kernels are
 * compiled by C2 their vectors are real objects, so a step counts as allocation-free only after warm-up: the probe
 * measures windows of steps until one allocates at most the slack, and reports the last one otherwise. On a loaded
 * machine C2's queue can lag far behind the steps, so past the given windows the probe goes on while the JIT is
 * still compiling (up to {@link #JIT_GRACE_NANOS}); an allocation that remains once the JIT is quiet is the kernels'.
 */
public final class AllocationProbe {
    /** How long the probe waits, past its windows, for a JIT that is still compiling. */
    static final long JIT_GRACE_NANOS = 60_000_000_000L;

    private final com.sun.management.ThreadMXBean mx =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    private final long[] ids;
    private boolean compilingAtEnd;

    public AllocationProbe() {
        long[] found = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("strata-compute-") || t == Thread.currentThread())
                .mapToLong(Thread::threadId).toArray();
        this.ids = found;
    }

    private long allocated() {
        long[] each = mx.getThreadAllocatedBytes(ids);
        return Arrays.stream(each).filter(b -> b > 0).sum();
    }

    /**
     * Runs {@code step} in windows of {@code stepsPerWindow} and returns the bytes of the first window that stays
     * within {@code slack}, or of the last window: the {@code windows}-th, or a later one while the JIT was still
     * compiling during it (see the class comment).
     */
    public long steadyStateBytes(Runnable step, int stepsPerWindow, int windows, long slack) {
        long graceEnd = System.nanoTime() + JIT_GRACE_NANOS;
        for (int i = 1; ; i++) {
            long compileMillis = jit.getTotalCompilationTime();
            long before = allocated();
            for (int s = 0; s < stepsPerWindow; s++) {
                step.run();
            }
            long bytes = allocated() - before;
            compilingAtEnd = jit.getTotalCompilationTime() != compileMillis;
            if (bytes <= slack || (i >= windows && !(compilingAtEnd && System.nanoTime() < graceEnd))) {
                return bytes;
            }
        }
    }

    /** For a failure message: whether the JIT was still compiling during the last window measured. */
    public String jitState() {
        return compilingAtEnd ? "the JIT was still compiling" : "the JIT was quiet";
    }
}
