package io.strata.sharding;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Contiguous layer ranges for the stages of one replica. Each stage's share of the layers still to place is
 * proportional to its speed (the slowest rank's thread count: all ranks of a stage do equal work in lockstep),
 * then moved as little as needed to fit memory: never more layers than the stage's workers can hold, never so
 * few that the later stages cannot hold the rest. Every stage gets at least one layer.
 */
final class PipelineSplit {

    /** Whether every rank of {@code stage} fits its budget when the stage runs layers {@code [from, to)}. */
    @FunctionalInterface
    interface Fits {
        boolean test(int stage, int from, int to);
    }

    private PipelineSplit() {}

    /** Layer ranges by speed alone, as if memory were unlimited. */
    static List<Span> proportional(final int layerCount, final long[] speeds) {
        return choose(layerCount, speeds, (s, from, to) -> true).orElseThrow();
    }

    /** Layer ranges by speed within memory, or empty when no contiguous split fits. */
    static Optional<List<Span>> choose(final int layerCount, final long[] speeds, final Fits fits) {
        final int stages = speeds.length;
        final List<Span> out = new ArrayList<>();
        int start = 0;
        for (int s = 0; s < stages; s++) {
            final int later = stages - s - 1;
            final int n;
            if (later == 0) {
                n = layerCount - start;
                if (!fits.test(s, start, layerCount)) {
                    return Optional.empty();
                }
            } else {
                final int hi = Math.min(maxFit(fits, s, start, layerCount), layerCount - start - later);
                int lo = -1;
                for (int k = 1; k <= hi && lo < 0; k++) {
                    if (reach(fits, s + 1, start + k, layerCount, stages) == layerCount) {
                        lo = k;
                    }
                }
                if (lo < 0) {
                    return Optional.empty();
                }
                n = Math.clamp(share(layerCount - start, speeds, s), lo, hi);
            }
            out.add(Span.of(start, start + n));
            start += n;
        }
        return Optional.of(List.copyOf(out));
    }

    /** Stage s's rounded proportional share of {@code remaining} layers among stages s, s+1, ... */
    private static long share(final int remaining, final long[] speeds, final int s) {
        long total = 0;
        for (int t = s; t < speeds.length; t++) {
            total += speeds[t];
        }
        return (2L * remaining * speeds[s] + total) / (2L * total);
    }

    /** The most layers from {@code start} that stage s can hold (0 when not even one). */
    private static int maxFit(final Fits fits, final int s, final int start, final int layerCount) {
        int n = 0;
        while (start + n < layerCount && fits.test(s, start, start + n + 1)) {
            n++;
        }
        return n;
    }

    /** How far stages s, s+1, ... reach from {@code start}, each taking as many layers as fit (at least one). */
    private static int reach(final Fits fits, final int s, final int start, final int layerCount, final int stages) {
        int pos = start;
        for (int t = s; t < stages; t++) {
            final int later = stages - t - 1;
            if (later == 0) {
                return pos < layerCount && fits.test(t, pos, layerCount) ? layerCount : pos;
            }
            final int n = Math.min(maxFit(fits, t, pos, layerCount), layerCount - pos - later);
            if (n < 1) {
                return pos;
            }
            pos += n;
        }
        return pos;
    }
}
