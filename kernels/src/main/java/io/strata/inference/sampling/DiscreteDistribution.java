package io.strata.inference.sampling;

/**
 * One draw of libstdc++'s {@code std::discrete_distribution<int>} over float probabilities, the way llama.cpp's
 * {@code dist} sampler draws (formats.md 6.3), so that a seed picks the same token as llama.cpp.
 */
public final class DiscreteDistribution {
    private DiscreteDistribution() {
    }

    /**
     * Index drawn from {@code probabilities[0..count)} (non-negative weights, not necessarily normalized).
     * libstdc++ normalizes by the double sum, forms prefix sums with the last forced to 1, draws
     * {@code u = generate_canonical} and returns the first index whose prefix sum is {@code >= u}; fewer than two
     * weights return 0 without consuming random numbers. The prefix sums never decrease, so a forward scan finds the
     * same index as libstdc++'s binary search, without a scratch array.
     */
    public static int sample(final float[] probabilities, final int count, final Mt19937 rng) {
        if (count < 2) {
            return 0;
        }
        double sum = 0;
        for (int i = 0; i < count; i++) {
            sum += probabilities[i];
        }
        final double u = rng.nextCanonicalDouble();
        double cumulative = 0;
        for (int i = 0; i < count - 1; i++) {
            cumulative += probabilities[i] / sum;
            if (cumulative >= u) {
                return i;
            }
        }
        return count - 1;
    }
}
