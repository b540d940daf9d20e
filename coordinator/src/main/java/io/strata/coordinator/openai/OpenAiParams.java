package io.strata.coordinator.openai;

import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.JsonRequest;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.modelfile.Parameter;

import java.util.List;

/** OpenAI's sampling fields (plus vLLM's top_k, min_p, repetition_penalty) as the engine's {@link SamplingParams}. */
final class OpenAiParams {
    /** The penalty window: llama-server's repeat_last_n default. */
    static final int PENALTY_WINDOW = 64;

    private OpenAiParams() {
    }

    /**
     * The sampling fields of a request; a field it leaves out takes the model's PARAMETER of the same meaning
     * (repetition_penalty: repeat_penalty), then OpenAI's default.
     *
     * @param logprobs alternatives the sampler must compute (0 = none; 1 or more also gives the chosen token's)
     */
    static SamplingParams sampling(JsonRequest r, int logprobs, ModelDefaults model) {
        double temperature = r.optNumber("temperature", 0, 2, model.number(Parameter.TEMPERATURE).orElse(1.0));
        double topP = r.optNumber("top_p", 0, 1, model.number(Parameter.TOP_P).orElse(1.0));
        int topK = r.optInt("top_k", -1, Integer.MAX_VALUE, model.integer(Parameter.TOP_K).orElse(0));
        double minP = r.optNumber("min_p", 0, 1, model.number(Parameter.MIN_P).orElse(0.0));
        double presence = r.optNumber("presence_penalty", -2, 2, model.number(Parameter.PRESENCE_PENALTY).orElse(0.0));
        double frequency = r.optNumber("frequency_penalty", -2, 2, model.number(Parameter.FREQUENCY_PENALTY).orElse(0.0));
        double repetition = r.optNumber("repetition_penalty", 0, 10, model.number(Parameter.REPEAT_PENALTY).orElse(1.0));
        if (repetition == 0) {
            throw ApiException.badRequest("repetition_penalty", r.has("repetition_penalty")
                    ? "'repetition_penalty' must be greater than 0 (1 = off)"
                    : "the model's repeat_penalty 0 is not usable; send 'repetition_penalty' (1 = off)");
        }
        int window = model.integer(Parameter.REPEAT_LAST_N).filter(n -> n >= 0).orElse(PENALTY_WINDOW);
        Long seed = r.has("seed") ? r.optLong("seed") : model.seed().orElse(null);
        return new SamplingParams((float) temperature, Math.max(topK, 0),
                topP == 0 ? Float.MIN_NORMAL : (float) topP, (float) minP, (float) repetition, (float) frequency,
                (float) presence, window, seed == null ? SamplingParams.RANDOM_SEED : seed & 0xFFFFFFFFL,
                logprobs);
    }

    /** The request's stop strings, else the model's. */
    static List<String> stop(JsonRequest r, ModelDefaults model) {
        return r.has("stop") ? r.optStringOrArray("stop", 4) : model.stop().orElse(List.of());
    }

    /**
     * The request's token limit ({@code field}), else the model's num_predict (-1 and -2: until the context is
     * full, i.e. null), else {@code builtIn}.
     */
    static Integer maxTokens(JsonRequest r, String field, Integer builtIn, ModelDefaults model) {
        if (r.has(field)) {
            return r.optInt(field, 1, Integer.MAX_VALUE, null);
        }
        Integer n = model.integer(Parameter.NUM_PREDICT).orElse(null);
        return n == null ? builtIn : n > 0 ? n : null;
    }

    /** The seed of choice {@code i} of n: a fixed seed still gives n different draws. */
    static SamplingParams forChoice(SamplingParams p, int i) {
        return p.hasRandomSeed() || i == 0 ? p : p.withSeed((p.seed() + i) & 0xFFFFFFFFL);
    }

    /** {@code stream_options} is only valid with {@code stream: true} (as vLLM). */
    static boolean includeUsage(JsonRequest r, boolean stream) {
        if (!r.has("stream_options")) {
            return false;
        }
        if (!stream) {
            throw ApiException.badRequest("stream_options", "'stream_options' is only allowed when 'stream' is true");
        }
        return JsonRequest.of(r.get("stream_options"), "stream_options").optBoolean("include_usage", false);
    }

    /**
     * The token budget, refusing a request that cannot fit the context with a message naming both numbers.
     *
     * @param requested the client's max tokens, or null for "until the context is full"
     */
    static int budget(int promptTokens, Integer requested, int context) {
        if (promptTokens >= context) {
            throw ApiException.contextExceeded("this model's maximum context length is " + context
                    + " tokens, but the prompt has " + promptTokens + " tokens");
        }
        if (requested == null) {
            return context - promptTokens;
        }
        if (promptTokens + requested > context) {
            throw ApiException.contextExceeded("this model's maximum context length is " + context
                    + " tokens, but the request asks for " + (promptTokens + requested) + " tokens ("
                    + promptTokens + " in the prompt, " + requested + " for the completion)");
        }
        return requested;
    }
}
