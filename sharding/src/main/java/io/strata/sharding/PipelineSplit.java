package io.strata.sharding;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Contiguous layer ranges for the stages of one replica. Stage boundaries are the rounded cumulative shares of the
 * stages' speeds (the slowest rank's thread count: all ranks of a stage do equal work in lockstep), so with
 * memory to spare each stage's count is within one layer of its exact share. A stage is then moved as little as
 * needed to fit memory: never more layers than its workers can hold, never so few that the later stages cannot hold
 * the rest, at least one; after such a move the later stages share what is left by their speeds again.
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
        int baseStage = 0;
        int baseStart = 0;
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
                final int wanted = targetEnd(layerCount, speeds, baseStage, baseStart, s) - start;
                n = Math.clamp(wanted, lo, hi);
                if (n != wanted) {
                    baseStage = s + 1;
                    baseStart = start + n;
                }
            }
            out.add(Span.of(start, start + n));
            start += n;
        }
        return Optional.of(List.copyOf(out));
    }

    /**
     * Where stage s should end: from {@code baseStart}, the layers left shared among stages baseStage, ... by
     * speed, rounded at each cumulative boundary (so the rounding errors never add up).
     */
    private static int targetEnd(final int layerCount, final long[] speeds, final int baseStage, final int baseStart,
                                 final int s) {
        long through = 0;
        long total = 0;
        for (int t = baseStage; t < speeds.length; t++) {
            total += speeds[t];
            if (t <= s) {
                through += speeds[t];
            }
        }
        final long remaining = layerCount - baseStart;
        return baseStart + (int) ((2 * remaining * through + total) / (2 * total));
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
