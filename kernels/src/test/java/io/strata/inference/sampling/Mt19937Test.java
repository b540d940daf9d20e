package io.strata.inference.sampling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Expected values printed by g++ 12 / libstdc++ (std::mt19937, generate_canonical, discrete_distribution). */
class Mt19937Test {

    @Test
    void defaultSeed5489GivesTheStandardFirstOutputs() {
        final Mt19937 rng = new Mt19937(5489);
        final long[] expected = {3499211612L, 581869302L, 3890346734L, 3586334585L, 545404204L};
        for (final long value : expected) {
            assertEquals(value, rng.nextUnsigned());
        }
    }

    @Test
    void tenThousandthOutputIsTheValueTheCppStandardRequires() {
        final Mt19937 rng = new Mt19937(5489);
        for (int i = 0; i < 9999; i++) {
            rng.nextInt();
        }
        assertEquals(4123659995L, rng.nextUnsigned());
    }

    @Test
    void reseedingRestartsTheSequenceAndUsesTheLow32Bits() {
        final Mt19937 rng = new Mt19937(5489 + (7L << 32));
        assertEquals(3499211612L, rng.nextUnsigned());
        rng.seed(5489);
        assertEquals(3499211612L, rng.nextUnsigned());
    }

    @Test
    void canonicalDoubleMatchesLibstdcxxGenerateCanonical() {
        final Mt19937 rng = new Mt19937(42);
        assertEquals(0.79654298428784598, rng.nextCanonicalDouble());
        assertEquals(0.18343478789336848, rng.nextCanonicalDouble());
        assertEquals(0.77969099761266125, rng.nextCanonicalDouble());
    }

    @Test
    void discreteDistributionDrawsTheSameIndicesAsLibstdcxx() {
        assertArrayEquals(new int[] {0, 2, 1, 2, 2, 0, 0, 2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,
                        1, 3, 4, 0, 0, 0, 1, 2, 0, 0, 1, 4, 0, 1, 0, 0, 0, 2, 1, 0},
                draws(new float[] {0.5f, 0.25f, 0.125f, 0.0625f, 0.0625f}, 1234, 40));
        // Weights whose float sum is not exactly 1: libstdc++ normalizes by the double sum.
        assertArrayEquals(new int[] {0, 4, 3, 1, 1, 0, 4, 3, 1, 0, 2, 2, 0, 4, 2, 1, 0, 1, 4, 0,
                        3, 0, 1, 3, 0, 2, 2, 0, 1, 1, 2, 0, 0, 1, 3, 3, 2, 1, 1, 0},
                draws(new float[] {0.3f, 0.3f, 0.2f, 0.1f, 0.05f, 0.05f}, 0xFFFFFFFEL, 40));
    }

    @Test
    void singleCandidateDrawsNoRandomNumbers() {
        final Mt19937 rng = new Mt19937(5489);
        assertEquals(0, DiscreteDistribution.sample(new float[] {1f}, 1, rng));
        assertEquals(3499211612L, rng.nextUnsigned());
    }

    private static int[] draws(final float[] probabilities, final long seed, final int count) {
        final Mt19937 rng = new Mt19937(seed);
        final int[] result = new int[count];
        for (int i = 0; i < count; i++) {
            result[i] = DiscreteDistribution.sample(probabilities, probabilities.length, rng);
        }
        return result;
    }
}
