package io.strata.inference.sampling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingParamsTest {

    @Test
    void defaultsAreLlamaCppCommonSamplerDefaults() {
        final SamplingParams p = SamplingParams.defaults();
        assertEquals(0.8f, p.temperature());
        assertEquals(40, p.topK());
        assertEquals(0.95f, p.topP());
        assertEquals(0.05f, p.minP());
        assertEquals(1.0f, p.repeatPenalty());
        assertEquals(0.0f, p.frequencyPenalty());
        assertEquals(0.0f, p.presencePenalty());
        assertEquals(64, p.penaltyLastN());
        assertTrue(p.hasRandomSeed());
        assertEquals(0, p.logprobs());
        assertFalse(p.penaltiesEnabled());
        assertFalse(p.isGreedy());
    }

    @Test
    void greedyFactoryHasZeroTemperature() {
        assertTrue(SamplingParams.greedy().isGreedy());
        assertEquals(0f, SamplingParams.greedy().temperature());
    }

    @Test
    void seedMarkers() {
        assertTrue(SamplingParams.defaults().withSeed(-1).hasRandomSeed());
        assertTrue(SamplingParams.defaults().withSeed(SamplingParams.RANDOM_SEED).hasRandomSeed());
        assertFalse(SamplingParams.defaults().withSeed(0).hasRandomSeed());
    }

    @Test
    void invalidValuesAreRejectedNamingTheParameter() {
        assertRejected("temperature", () -> SamplingParams.defaults().withTemperature(-0.1f));
        assertRejected("temperature", () -> SamplingParams.defaults().withTemperature(Float.NaN));
        assertRejected("topP", () -> SamplingParams.defaults().withTopP(0f));
        assertRejected("topP", () -> SamplingParams.defaults().withTopP(1.01f));
        assertRejected("minP", () -> SamplingParams.defaults().withMinP(-0.5f));
        assertRejected("repeatPenalty", () -> SamplingParams.defaults().withPenalties(0f, 0f, 0f, 64));
        assertRejected("frequencyPenalty",
                () -> SamplingParams.defaults().withPenalties(1f, Float.POSITIVE_INFINITY, 0f, 64));
        assertRejected("presencePenalty", () -> SamplingParams.defaults().withPenalties(1f, 0f, Float.NaN, 64));
        assertRejected("penaltyLastN", () -> SamplingParams.defaults().withPenalties(1.1f, 0f, 0f, -2));
        assertRejected("logprobs", () -> SamplingParams.defaults().withLogprobs(-1));
        assertRejected("logprobs", () -> SamplingParams.defaults().withLogprobs(SamplingParams.MAX_LOGPROBS + 1));
    }

    private static void assertRejected(final String parameter, final Runnable construction) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construction::run);
        assertTrue(e.getMessage().startsWith(parameter + " "), e.getMessage());
    }
}
