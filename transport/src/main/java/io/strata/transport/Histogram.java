package io.strata.transport;

import java.util.Arrays;

/**
 * Latency samples in nanoseconds with percentiles, for benchmarks and metrics: a fixed ring of the last 65536
 * samples, so recording allocates nothing.
 */
public final class Histogram {
    private final long[] samples = new long[1 << 16];
    private long count;

    public void record(long nanos) {
        samples[(int) (count++ & (samples.length - 1))] = nanos;
    }

    public long count() { return count; }

    /** Forgets every sample (after a warm-up). */
    public void reset() {
        count = 0;
    }

    /** The p-th percentile (0-100) of the samples kept, or 0 when there are none. */
    public long percentile(double p) {
        int n = (int) Math.min(count, samples.length);
        if (n == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(samples, n);
        Arrays.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * n) - 1;
        return sorted[Math.max(0, Math.min(n - 1, idx))];
    }
}
