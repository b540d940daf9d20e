package io.strata.inference.sampling;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks tokens for one sequence the way llama.cpp's common sampler does (formats.md 6.1-6.3):
 * penalties, top-k, top-p, min-p, temperature, then a draw with {@code std::mt19937} and libstdc++'s
 * {@code discrete_distribution}, so a seeded run reproduces llama.cpp's choices (up to the order of exactly equal
 * logits, which llama.cpp leaves unspecified and this class fixes as lowest id first).
 *
 * <p>One instance per sequence: it owns the random generator and the penalty window. The caller feeds every token
 * of the sequence to {@link #accept(int)}, prompt tokens included, as llama-cli does; {@link #sample} does not accept
 * the token it returns. All scratch space is sized to the vocabulary up front, so sampling allocates nothing.
 * Not thread-safe.
 */
public final class Sampler {
    private final SamplingParams params;
    private final int vocabularySize;
    private final long seed;
    private final Mt19937 rng;
    private final PenaltyWindow penalties;

    // Scratch, all [vocabularySize]: logits after penalties by token id, then the shrinking candidate list.
    private final float[] logits;
    private final int[] candidateIds;
    private final float[] candidateLogits;
    private final float[] candidateProbs;
    private final long[] sortKeys;
    private final long[] sortBuffer;
    private final int[] radixCounts = new int[CandidateOrder.RADIX_COUNTS];
    private int candidateCount;
    private boolean candidatesSorted;

    private final TokenLogprobs logprobs;
    private final long[] logprobKeys;

    /** A sampler whose {@code penaltyLastN} must not be -1 (use the other constructor to give the context length). */
    public Sampler(final SamplingParams params, final int vocabularySize) {
        this(params, vocabularySize, 0);
    }

    /**
     * @param contextLength what {@code penaltyLastN == -1} stands for; ignored otherwise
     */
    public Sampler(final SamplingParams params, final int vocabularySize, final int contextLength) {
        this.params = Objects.requireNonNull(params, "params");
        if (vocabularySize <= 0) {
            throw new IllegalArgumentException("vocabularySize must be > 0, got " + vocabularySize);
        }
        this.vocabularySize = vocabularySize;
        final int lastN = params.penaltyLastN() == -1 ? contextLength : params.penaltyLastN();
        if (params.penaltiesEnabled() && lastN <= 0) {
            throw new IllegalArgumentException("penaltyLastN = -1 needs a context length > 0, got " + contextLength);
        }
        this.penalties = new PenaltyWindow(params.penaltiesEnabled() ? lastN : 0, vocabularySize,
                params.repeatPenalty(), params.frequencyPenalty(), params.presencePenalty());
        this.seed = params.hasRandomSeed()
                ? ThreadLocalRandom.current().nextLong(SamplingParams.RANDOM_SEED)
                : params.seed() & 0xFFFFFFFFL;
        this.rng = new Mt19937(seed);
        this.logits = new float[vocabularySize];
        this.candidateIds = new int[vocabularySize];
        this.candidateLogits = new float[vocabularySize];
        this.candidateProbs = new float[vocabularySize];
        this.sortKeys = new long[vocabularySize];
        this.sortBuffer = new long[vocabularySize];
        this.logprobs = new TokenLogprobs(params.logprobs());
        this.logprobKeys = new long[params.logprobs()];
    }

    public SamplingParams params() {
        return params;
    }

    /** The mt19937 seed in use, in [0, 2^32): the drawn one for a random seed, so a run can be repeated. */
    public long seed() {
        return seed;
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /** Adds a token of the sequence (prompt or generated) to the penalty window. */
    public void accept(final int token) {
        penalties.accept(token);
    }

    /** Forgets the penalty window and restarts the random sequence from {@link #seed()}. */
    public void reset() {
        penalties.clear();
        rng.seed(seed);
    }

    /**
     * Chooses the next token from {@code logits[offset .. offset + nVocab)} (left unchanged).
     *
     * @param nVocab number of logits, at most the vocabulary size given at construction
     * @return the token id; when {@code params().logprobs() > 0}, {@link #logprobs()} describes it
     */
    public int sample(final float[] logits, final int offset, final int nVocab) {
        Objects.checkFromIndexSize(offset, nVocab, logits.length);
        if (nVocab <= 0 || nVocab > vocabularySize) {
            throw new IllegalArgumentException("nVocab must be in [1, " + vocabularySize + "], got " + nVocab);
        }
        System.arraycopy(logits, offset, this.logits, 0, nVocab);
        penalties.apply(this.logits, nVocab);
        final int token = params.isGreedy() ? argmax(nVocab) : sampleFromChain(nVocab);
        if (params.logprobs() > 0) {
            computeLogprobs(token, nVocab);
        }
        return token;
    }

    /** Log-probabilities of the last sampled token; only filled when {@code params().logprobs() > 0}. */
    public TokenLogprobs logprobs() {
        return logprobs;
    }

    /** Size of the candidate list the last non-greedy draw chose from (what top-k, top-p and min-p kept). */
    int candidateCount() {
        return candidateCount;
    }

    /** Token id of candidate {@code i} of the last non-greedy draw, most likely first. */
    int candidateId(final int i) {
        return candidateIds[i];
    }

    /**
     * Greedy: the first maximum of the penalized logits. llama.cpp runs top-k/top-p/min-p first, but they always
     * keep the maximum, so the result is the same.
     */
    private int argmax(final int n) {
        int best = 0;
        float bestLogit = logits[0];
        for (int i = 1; i < n; i++) {
            if (logits[i] > bestLogit) {
                bestLogit = logits[i];
                best = i;
            }
        }
        return best;
    }

    private int sampleFromChain(final int n) {
        // Candidates start as every token in id order, unsorted, as in llama.cpp.
        for (int i = 0; i < n; i++) {
            candidateIds[i] = i;
        }
        System.arraycopy(logits, 0, candidateLogits, 0, n);
        candidateCount = n;
        candidatesSorted = false;

        if (params.topK() > 0) {
            keepBest(Math.min(params.topK(), candidateCount));
        }
        if (params.topP() < 1f) {
            topP(params.topP());
        }
        if (params.minP() > 0f) {
            minP(params.minP());
        }
        final float temperature = params.temperature();
        for (int i = 0; i < candidateCount; i++) {
            candidateLogits[i] /= temperature;
        }
        softmax();
        return candidateIds[DiscreteDistribution.sample(candidateProbs, candidateCount, rng)];
    }

    /** Top-p: keep the shortest sorted prefix whose float-accumulated probability reaches p. */
    private void topP(final float p) {
        softmax();
        float cumulative = 0f;
        for (int i = 0; i < candidateCount; i++) {
            cumulative += candidateProbs[i];
            if (cumulative >= p) {
                candidateCount = i + 1;
                return;
            }
        }
    }

    /**
     * Min-p on logits (before temperature): keep tokens with logit >= max + log(p), i.e. probability >= p * max.
     * Unsorted candidates are filtered in place keeping their order; sorted ones are cut to a prefix.
     */
    private void minP(final float p) {
        final float logP = (float) Math.log(p);
        if (candidatesSorted) {
            final float minLogit = candidateLogits[0] + logP;
            int keep = 1;
            while (keep < candidateCount && candidateLogits[keep] >= minLogit) {
                keep++;
            }
            candidateCount = keep;
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < candidateCount; i++) {
            max = Math.max(max, candidateLogits[i]);
        }
        final float minLogit = max + logP;
        int kept = 0;
        for (int i = 0; i < candidateCount; i++) {
            if (candidateLogits[i] >= minLogit) {
                candidateIds[kept] = candidateIds[i];
                candidateLogits[kept] = candidateLogits[i];
                kept++;
            }
        }
        candidateCount = kept;
    }

    /** llama.cpp's softmax: sort if needed, p = exp(l - l_max) summed in float in sorted order, then normalized. */
    private void softmax() {
        if (!candidatesSorted) {
            keepBest(candidateCount);
        }
        final float max = candidateLogits[0];
        float sum = 0f;
        for (int i = 0; i < candidateCount; i++) {
            final float p = (float) Math.exp(candidateLogits[i] - max);
            candidateProbs[i] = p;
            sum += p;
        }
        for (int i = 0; i < candidateCount; i++) {
            candidateProbs[i] /= sum;
        }
    }

    /**
     * Keeps the {@code keep} best candidates, sorted descending by logit (lowest id first on ties): a heap selection
     * when few are kept (top-k), else a radix sort of all of them. Both need the candidates in ascending id order,
     * which they always are before the first sort.
     */
    private void keepBest(final int keep) {
        if (keep * 16L >= candidateCount) {
            CandidateOrder.sortDescending(candidateIds, candidateLogits, candidateCount, sortKeys, sortBuffer,
                    radixCounts);
            candidateCount = keep;
            candidatesSorted = true;
            return;
        }
        final long[] heap = sortKeys;
        for (int i = 0; i < keep; i++) {
            heap[i] = CandidateOrder.key(candidateLogits[i], candidateIds[i]);
        }
        CandidateOrder.heapify(heap, keep);
        for (int i = keep; i < candidateCount; i++) {
            CandidateOrder.offer(heap, keep, CandidateOrder.key(candidateLogits[i], candidateIds[i]));
        }
        CandidateOrder.sortHeapDescending(heap, keep);
        for (int i = 0; i < keep; i++) {
            candidateIds[i] = CandidateOrder.id(heap[i]);
            candidateLogits[i] = CandidateOrder.logit(heap[i]);
        }
        candidateCount = keep;
        candidatesSorted = true;
    }

    /**
     * Log-softmax over the whole vocabulary of the penalized logits divided by the temperature (1 when greedy),
     * computed in double; see {@link TokenLogprobs} for why this distribution.
     */
    private void computeLogprobs(final int token, final int n) {
        final float temperature = params.isGreedy() ? 1f : params.temperature();
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[i] / temperature);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp((double) (logits[i] / temperature) - max);
        }
        final double logNormalizer = max + Math.log(sum);
        logprobs.setChosen(token, (float) (logits[token] / temperature - logNormalizer));

        final int top = Math.min(params.logprobs(), n);
        final long[] heap = logprobKeys;
        for (int i = 0; i < top; i++) {
            heap[i] = CandidateOrder.key(logits[i] / temperature, i);
        }
        CandidateOrder.heapify(heap, top);
        for (int i = top; i < n; i++) {
            CandidateOrder.offer(heap, top, CandidateOrder.key(logits[i] / temperature, i));
        }
        CandidateOrder.sortHeapDescending(heap, top);
        for (int rank = 0; rank < top; rank++) {
            logprobs.setTop(rank, CandidateOrder.id(heap[rank]),
                    (float) (CandidateOrder.logit(heap[rank]) - logNormalizer));
        }
        logprobs.setTopCount(top);
    }
}
