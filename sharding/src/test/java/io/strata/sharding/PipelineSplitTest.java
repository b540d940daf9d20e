package io.strata.sharding;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineSplitTest {

    @Test
    void equalSpeedsSplitEvenlyAndTheRemainderGoesByRounding() {
        assertEquals(List.of(Span.of(0, 3), Span.of(3, 5)), PipelineSplit.proportional(5, new long[] {1, 1}));
        assertEquals(List.of(Span.of(0, 4), Span.of(4, 8), Span.of(8, 12)), PipelineSplit.proportional(12, new long[] {2, 2, 2}));
    }

    @Test
    void everyStageGetsAtLeastOneLayerHoweverSlow() {
        assertEquals(List.of(Span.of(0, 1), Span.of(1, 4)), PipelineSplit.proportional(4, new long[] {1, 100}));
        assertEquals(List.of(Span.of(0, 3), Span.of(3, 4)), PipelineSplit.proportional(4, new long[] {100, 1}));
    }

    @Test
    void aStageThatHoldsAtMostTwoLayersGetsTwoAndTheOthersShareTheRest() {
        final PipelineSplit.Fits fits = (s, from, to) -> s != 0 || to - from <= 2;
        assertEquals(Optional.of(List.of(Span.of(0, 2), Span.of(2, 6), Span.of(6, 10))),
                PipelineSplit.choose(10, new long[] {10, 1, 1}, fits));
    }

    @Test
    void aStageIsGivenMoreThanItsShareWhenTheLaterOnesCannotHoldTheRest() {
        final PipelineSplit.Fits fits = (s, from, to) -> s != 1 || to - from <= 1;
        assertEquals(Optional.of(List.of(Span.of(0, 7), Span.of(7, 8))), PipelineSplit.choose(8, new long[] {1, 1}, fits));
    }

    @Test
    void noSplitIsFoundWhenTheStagesTogetherCannotHoldEveryLayer() {
        final PipelineSplit.Fits fits = (s, from, to) -> to - from <= 3;
        assertEquals(Optional.empty(), PipelineSplit.choose(7, new long[] {1, 1}, fits));
        assertEquals(Optional.of(List.of(Span.of(0, 3), Span.of(3, 6))), PipelineSplit.choose(6, new long[] {1, 1}, fits));
    }
    @Test
    void withMemoryToSpareEveryStageIsWithinOneLayerOfItsExactShare() {
        final Random rnd = new Random(42);
        for (int c = 0; c < 2000; c++) {
            final int layers = 1 + rnd.nextInt(200);
            final long[] speeds = new long[1 + rnd.nextInt(Math.min(layers, 8))];
            for (int s = 0; s < speeds.length; s++) {
                speeds[s] = 1 + rnd.nextInt(16);
            }
            final long total = Arrays.stream(speeds).sum();
            final List<Span> split = PipelineSplit.proportional(layers, speeds);
            final boolean everyShareAtLeastOne = Arrays.stream(speeds).allMatch(w -> layers * w >= total);
            long next = 0;
            for (int s = 0; s < speeds.length; s++) {
                final Span l = split.get(s);
                assertEquals(next, l.start());
                assertTrue(l.length() >= 1, split.toString());
                final double exact = (double) layers * speeds[s] / total;
                assertTrue(!everyShareAtLeastOne || Math.abs(l.length() - exact) < 1,
                        "stage " + s + " of " + Arrays.toString(speeds) + " over " + layers + ": " + split);
                next = l.end();
            }
            assertEquals(layers, next);
        }
    }
    /** Budgets per stage, a fixed cost per stage and a cost per layer: the shape of the planner's memory check. */
    private record Costs(long[] fixed, long[] perLayer, long[] budget) implements PipelineSplit.Fits {
        @Override
        public boolean test(final int stage, final int from, final int to) {
            long need = fixed[stage];
            for (int l = from; l < to; l++) {
                need += perLayer[l];
            }
            return need <= budget[stage];
        }
    }

    /** Whether some split of [from, layers) into stages s, s+1, ... (one layer at least each) fits. */
    private static boolean anySplitFits(final Costs c, final int layers, final int s, final int from) {
        final int stages = c.budget().length;
        if (s == stages - 1) {
            return from < layers && c.test(s, from, layers);
        }
        for (int to = from + 1; to <= layers - (stages - s - 1); to++) {
            if (c.test(s, from, to) && anySplitFits(c, layers, s + 1, to)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aSplitIsFoundWheneverAnyContiguousSplitFitsAndTheOneFoundFits() {
        final Random rnd = new Random(7);
        int found = 0;
        int none = 0;
        for (int c = 0; c < 3000; c++) {
            final int layers = 1 + rnd.nextInt(10);
            final int stages = 1 + rnd.nextInt(Math.min(layers, 4));
            final long[] fixed = new long[stages];
            final long[] budget = new long[stages];
            final long[] speeds = new long[stages];
            final long[] perLayer = new long[layers];
            for (int l = 0; l < layers; l++) {
                perLayer[l] = 1 + rnd.nextInt(10);
            }
            for (int s = 0; s < stages; s++) {
                fixed[s] = rnd.nextInt(6);
                budget[s] = fixed[s] + rnd.nextInt(5 + 60 / stages);
                speeds[s] = 1 + rnd.nextInt(8);
            }
            final Costs costs = new Costs(fixed, perLayer, budget);
            final Optional<List<Span>> split = PipelineSplit.choose(layers, speeds, costs);
            assertEquals(anySplitFits(costs, layers, 0, 0), split.isPresent(),
                    "layers " + Arrays.toString(perLayer) + " fixed " + Arrays.toString(fixed) + " budgets "
                            + Arrays.toString(budget) + ": " + split);
            if (split.isPresent()) {
                found++;
                for (int s = 0; s < stages; s++) {
                    final Span l = split.get().get(s);
                    assertTrue(l.length() >= 1 && costs.test(s, (int) l.start(), (int) l.end()), split.toString());
                }
            } else {
                none++;
            }
        }
        assertTrue(found > 300 && none > 300, found + " found, " + none + " none");
    }
}
