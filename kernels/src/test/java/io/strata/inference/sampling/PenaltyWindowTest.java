package io.strata.inference.sampling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PenaltyWindowTest {

    @Test
    void repeatPenaltyDividesPositiveAndMultipliesNegativeLogitsThenSubtractsFrequencyAndPresence() {
        final PenaltyWindow window = new PenaltyWindow(8, 6, 1.5f, 0.25f, 0.5f);
        for (final int token : new int[] {1, 2, 2, 4, 2}) {
            window.accept(token);
        }
        final float[] logits = {1f, 3f, -2f, 0.5f, 0f, 7f};
        window.apply(logits, logits.length);
        assertArrayEquals(new float[] {
                1f,                                 // not in the window
                3f / 1.5f - (1 * 0.25f + 0.5f),     // positive: divided, count 1
                -2f * 1.5f - (3 * 0.25f + 0.5f),    // negative: multiplied, count 3
                0.5f,
                0f * 1.5f - (1 * 0.25f + 0.5f),     // zero counts as "<= 0"
                7f}, logits);
    }

    @Test
    void oldestTokensLeaveTheWindow() {
        final PenaltyWindow window = new PenaltyWindow(3, 10, 2f, 0f, 0f);
        for (final int token : new int[] {5, 6, 7, 8}) {
            window.accept(token);
        }
        assertEquals(0, window.count(5));
        assertEquals(3, window.size());
        final float[] logits = {0, 0, 0, 0, 0, 4f, 4f, 4f, 4f, 4f};
        window.apply(logits, logits.length);
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 4f, 2f, 2f, 2f, 4f}, logits);
    }

    @Test
    void neutralPenaltiesLeaveLogitsUnchanged() {
        final PenaltyWindow window = new PenaltyWindow(4, 3, 1f, 0f, 0f);
        window.accept(1);
        final float[] logits = {1f, 2f, -3f};
        window.apply(logits, 3);
        assertArrayEquals(new float[] {1f, 2f, -3f}, logits);
    }

    @Test
    void clearForgetsEverything() {
        final PenaltyWindow window = new PenaltyWindow(4, 3, 2f, 0f, 0f);
        window.accept(1);
        window.accept(1);
        window.clear();
        assertEquals(0, window.count(1));
        final float[] logits = {1f, 2f, -3f};
        window.apply(logits, 3);
        assertArrayEquals(new float[] {1f, 2f, -3f}, logits);
    }
}
