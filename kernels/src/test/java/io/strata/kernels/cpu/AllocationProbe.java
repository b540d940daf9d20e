package io.strata.kernels.cpu;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Bytes allocated by the calling thread and the compute team's threads ({@code strata-compute-*}) while a step
 * runs, for the allocation tests. JIT compilation happens in the background, and until the Vector API kernels are
 * compiled by C2 their vectors are real objects, so a step counts as allocation-free only after warm-up: the probe
 * measures windows of steps until one allocates at most the slack, and reports the last one otherwise.
 */
public final class AllocationProbe {
    private final com.sun.management.ThreadMXBean mx =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final long[] ids;

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
     * within {@code slack}, or of the last of {@code windows} windows.
     */
    public long steadyStateBytes(Runnable step, int stepsPerWindow, int windows, long slack) {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < windows; i++) {
            long before = allocated();
            for (int s = 0; s < stepsPerWindow; s++) {
                step.run();
            }
            last = allocated() - before;
            if (last <= slack) {
                return last;
            }
        }
        return last;
    }
}
