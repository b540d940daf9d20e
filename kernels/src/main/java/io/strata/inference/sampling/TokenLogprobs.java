package io.strata.inference.sampling;

/**
 * Log-probabilities reported with one sampled token: the chosen token's and the {@code topCount()} most likely
 * alternatives (descending, lowest id first on ties; the chosen token may be among them).
 *
 * <p>Values are the natural-log softmax over the whole vocabulary of the logits after the penalties and divided by the
 * temperature (1 when greedy), before top-k/top-p/min-p: the distribution the sampler draws from, without the
 * truncation that would give every cut token -infinity. (vLLM reports the raw model distribution by default; with
 * penalties off and temperature 1 the two agree.)
 *
 * <p>The {@link Sampler} overwrites one instance per token; copy what you keep.
 */
public final class TokenLogprobs {
    private final int[] topTokens;
    private final float[] topLogprobs;
    private int topCount;
    private int token = -1;
    private float logprob = Float.NaN;

    TokenLogprobs(final int capacity) {
        this.topTokens = new int[capacity];
        this.topLogprobs = new float[capacity];
    }

    /** The sampled token, or -1 before the first sample or when log-probabilities are off. */
    public int token() {
        return token;
    }

    /** Log-probability of {@link #token()}. */
    public float logprob() {
        return logprob;
    }

    /** Number of alternatives reported (the requested count, or fewer for a tiny vocabulary). */
    public int topCount() {
        return topCount;
    }

    /** Token id of the alternative at {@code rank} (0 = most likely). */
    public int topToken(final int rank) {
        checkRank(rank);
        return topTokens[rank];
    }

    /** Log-probability of the alternative at {@code rank}. */
    public float topLogprob(final int rank) {
        checkRank(rank);
        return topLogprobs[rank];
    }

    void setChosen(final int chosenToken, final float chosenLogprob) {
        this.token = chosenToken;
        this.logprob = chosenLogprob;
    }

    void setTop(final int rank, final int topToken, final float topLogprob) {
        topTokens[rank] = topToken;
        topLogprobs[rank] = topLogprob;
    }

    void setTopCount(final int count) {
        this.topCount = count;
    }

    private void checkRank(final int rank) {
        if (rank < 0 || rank >= topCount) {
            throw new IndexOutOfBoundsException("rank " + rank + " outside [0, " + topCount + ")");
        }
    }

    @Override
    public String toString() {
        final StringBuilder text = new StringBuilder("TokenLogprobs[token=").append(token).append(", logprob=")
                .append(logprob).append(", top=");
        for (int i = 0; i < topCount; i++) {
            text.append(i == 0 ? "" : ", ").append(topTokens[i]).append(':').append(topLogprobs[i]);
        }
        return text.append(']').toString();
    }
}
