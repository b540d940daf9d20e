package io.strata.inference.sampling;

/**
 * How the next token is chosen from the logits: llama.cpp's common sampler chain
 * (penalties, top-k, top-p, min-p, temperature, dist; formats.md section 6) with its defaults.
 *
 * <p>Disabled values, as in llama.cpp: {@code topK <= 0} keeps every token, {@code topP == 1} and {@code minP == 0}
 * turn those filters off, {@code temperature == 0} is greedy (argmax after penalties), {@code penaltyLastN == 0} or
 * neutral penalties (1, 0, 0) skip the penalty step, {@code penaltyLastN == -1} means the whole context.
 *
 * @param temperature      logits are divided by it before the draw; 0 = greedy
 * @param topK             keep the k most likely tokens; {@code <= 0} = all
 * @param topP             keep the smallest most-likely prefix whose probability mass reaches topP; in (0, 1]
 * @param minP             drop tokens less likely than minP times the most likely one; in [0, 1]
 * @param repeatPenalty    divides positive (multiplies negative) logits of tokens in the window; > 0, 1 = off
 * @param frequencyPenalty subtracted once per occurrence in the window
 * @param presencePenalty  subtracted once if the token occurs in the window
 * @param penaltyLastN     size of the window of recently accepted tokens; 0 = off, -1 = context length
 * @param seed             mt19937 seed (low 32 bits); {@link #RANDOM_SEED} or any negative value = a fresh random seed
 * @param logprobs         how many most likely alternatives to report with each token, 0 to {@value #MAX_LOGPROBS};
 *                         0 = no log-probabilities at all (ask for 1 to get the chosen token's alone)
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repeatPenalty,
                             float frequencyPenalty, float presencePenalty, int penaltyLastN, long seed,
                             int logprobs) {
    /** llama.cpp's LLAMA_DEFAULT_SEED: draw a random seed. */
    public static final long RANDOM_SEED = 0xFFFFFFFFL;
    /** Upper bound of {@link #logprobs}: OpenAI chat's and Ollama's {@code top_logprobs} limit. */
    public static final int MAX_LOGPROBS = 20;

    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0 (0 = greedy), got "
                    + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("minP must be in [0, 1] (0 = off), got " + minP);
        }
        if (!(repeatPenalty > 0) || Float.isInfinite(repeatPenalty)) {
            throw new IllegalArgumentException("repeatPenalty must be a finite number > 0 (1 = off), got "
                    + repeatPenalty);
        }
        if (!Float.isFinite(frequencyPenalty)) {
            throw new IllegalArgumentException("frequencyPenalty must be finite, got " + frequencyPenalty);
        }
        if (!Float.isFinite(presencePenalty)) {
            throw new IllegalArgumentException("presencePenalty must be finite, got " + presencePenalty);
        }
        if (penaltyLastN < -1) {
            throw new IllegalArgumentException("penaltyLastN must be >= -1 (0 = off, -1 = context length), got "
                    + penaltyLastN);
        }
        if (logprobs < 0 || logprobs > MAX_LOGPROBS) {
            throw new IllegalArgumentException("logprobs must be in [0, " + MAX_LOGPROBS + "], got " + logprobs);
        }
    }

    /** llama.cpp's common sampler defaults: temp 0.8, top-k 40, top-p 0.95, min-p 0.05, penalties off, random seed. */
    public static SamplingParams defaults() {
        return new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1.0f, 0.0f, 0.0f, 64, RANDOM_SEED, 0);
    }

    /** The defaults with temperature 0: always the most likely token (lowest id on ties). */
    public static SamplingParams greedy() {
        return defaults().withTemperature(0f);
    }

    /** True when the temperature selects the argmax instead of drawing. */
    public boolean isGreedy() {
        return temperature <= 0;
    }

    /** True when each sampler draws its own random seed. */
    public boolean hasRandomSeed() {
        return seed < 0 || seed == RANDOM_SEED;
    }

    /** True when the penalty step changes anything (llama.cpp skips it otherwise). */
    public boolean penaltiesEnabled() {
        return penaltyLastN != 0 && (repeatPenalty != 1f || frequencyPenalty != 0f || presencePenalty != 0f);
    }

    public SamplingParams withTemperature(final float value) {
        return new SamplingParams(value, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, seed, logprobs);
    }

    public SamplingParams withTopK(final int value) {
        return new SamplingParams(temperature, value, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, seed, logprobs);
    }

    public SamplingParams withTopP(final float value) {
        return new SamplingParams(temperature, topK, value, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, seed, logprobs);
    }

    public SamplingParams withMinP(final float value) {
        return new SamplingParams(temperature, topK, topP, value, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, seed, logprobs);
    }

    /** Repeat, frequency and presence penalties over the last {@code lastN} accepted tokens. */
    public SamplingParams withPenalties(final float repeat, final float frequency, final float presence,
                                        final int lastN) {
        return new SamplingParams(temperature, topK, topP, minP, repeat, frequency, presence, lastN, seed, logprobs);
    }

    public SamplingParams withSeed(final long value) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, value, logprobs);
    }

    public SamplingParams withLogprobs(final int value) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty,
                penaltyLastN, seed, value);
    }

    /** Keeps only temperature and the draw: no top-k, top-p, min-p (handy for distribution checks). */
    public SamplingParams withoutTruncation() {
        return withTopK(0).withTopP(1f).withMinP(0f);
    }
}
