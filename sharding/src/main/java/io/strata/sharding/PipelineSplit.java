package io.strata.sharding;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Contiguous layer ranges for the stages of one replica. Stage boundaries are the rounded cumulative shares of the
 * stages' speeds (the slowest rank's thread count: all ranks of a stage do equal work in lockstep), so with
 * memory to spare each stage's count is within one layer of its exact share. A stage is then moved as little as
 * needed to fit memory: to the nearest end where its workers hold its layers and the later stages can still hold
 * the rest (at least one layer each); after such a move the later stages share what is left by their speeds again.
 * A split is found whenever one exists.
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
        final boolean[][] canFinish = canFinish(layerCount, stages, fits);
        if (!canFinish[0][0]) {
            return Optional.empty();
        }
        final List<Span> out = new ArrayList<>();
        int start = 0;
        int baseStage = 0;
        int baseStart = 0;
        for (int s = 0; s < stages; s++) {
            final int wanted = s == stages - 1 ? layerCount
                    : targetEnd(layerCount, speeds, baseStage, baseStart, s);
            final int end = closestEnd(layerCount, stages, fits, canFinish, s, start, wanted);
            if (end != wanted) {
                baseStage = s + 1;
                baseStart = end;
            }
            out.add(Span.of(start, end));
            start = end;
        }
        return Optional.of(List.copyOf(out));
    }

    /**
     * {@code canFinish[s][a]}: stages s, s+1, ... can hold layers [a, layerCount), each at least one layer and
     * within its memory. Layers differ in size and stages in budget, so this is worked out for every start
     * (stage count x layers squared checks, each a few additions), not guessed greedily.
     */
    private static boolean[][] canFinish(final int layerCount, final int stages, final Fits fits) {
        final boolean[][] ok = new boolean[stages + 1][layerCount + 1];
        ok[stages][layerCount] = true;
        for (int s = stages - 1; s >= 0; s--) {
            final int later = stages - s - 1;
            for (int a = 0; a + later < layerCount; a++) {
                for (int b = a + 1; b <= layerCount - later && !ok[s][a] && fits.test(s, a, b); b++) {
                    ok[s][a] = ok[s + 1][b];
                }
            }
        }
        return ok;
    }

    /** The end for stage s nearest to {@code wanted} (the earlier one on a tie) that fits and lets the rest fit. */
    private static int closestEnd(final int layerCount, final int stages, final Fits fits, final boolean[][] canFinish,
                                  final int s, final int start, final int wanted) {
        int best = -1;
        for (int b = start + 1; b <= layerCount && fits.test(s, start, b); b++) {
            if (canFinish[s + 1][b] && (best < 0 || Math.abs(b - wanted) < Math.abs(best - wanted))) {
                best = b;
            }
        }
        if (best < 0) {
            throw new IllegalStateException("stage " + s + " of " + stages + " has no end from layer " + start);
        }
        return best;
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
}
