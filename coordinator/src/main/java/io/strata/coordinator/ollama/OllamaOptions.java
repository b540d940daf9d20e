package io.strata.coordinator.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.JsonRequest;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.modelfile.Parameter;

import java.util.List;

/**
 * Ollama's {@code options} map (the names a Modelfile's PARAMETER lines use too): the request's value, else the
 * model's PARAMETER, else Ollama's default. Options
 * Ollama itself ignores or that concern its runner (num_gpu, num_thread, mirostat, ...) are accepted and ignored.
 *
 * @param numPredict tokens to generate; null = until the context is full (Ollama's -1 and -2)
 * @param numCtx     the context the client asks for; null = the engine's
 */
record OllamaOptions(SamplingParams sampling, Integer numPredict, Integer numCtx, List<String> stop) {

    /** The request's options over the model's PARAMETERs over Ollama's defaults, option by option. */
    static OllamaOptions parse(JsonRequest request, ModelDefaults model) {
        JsonNode node = request.get("options");
        JsonRequest o = node == null ? JsonRequest.of(JsonRequest.MAPPER.createObjectNode(), "options")
                : JsonRequest.of(node, "options");
        double temperature = o.optNumber("temperature", 0, 100, model.number(Parameter.TEMPERATURE).orElse(0.8));
        int topK = o.optInt("top_k", -1, Integer.MAX_VALUE, model.integer(Parameter.TOP_K).orElse(40));
        double topP = o.optNumber("top_p", 0, 1, model.number(Parameter.TOP_P).orElse(0.9));
        double minP = o.optNumber("min_p", 0, 1, model.number(Parameter.MIN_P).orElse(0.0));
        double repeat = o.optNumber("repeat_penalty", 0, 100, model.number(Parameter.REPEAT_PENALTY).orElse(1.0));
        if (repeat == 0) {
            throw ApiException.badRequest("options.repeat_penalty", o.has("repeat_penalty")
                    ? "'options.repeat_penalty' must be greater than 0 (1 = off)"
                    : "the model's repeat_penalty 0 is not usable; send 'options.repeat_penalty' (1 = off)");
        }
        int lastN = o.optInt("repeat_last_n", -1, Integer.MAX_VALUE, model.integer(Parameter.REPEAT_LAST_N).orElse(64));
        double presence = o.optNumber("presence_penalty", -100, 100, model.number(Parameter.PRESENCE_PENALTY).orElse(0.0));
        double frequency = o.optNumber("frequency_penalty", -100, 100, model.number(Parameter.FREQUENCY_PENALTY).orElse(0.0));
        Long seed = o.has("seed") ? o.optLong("seed") : model.seed().orElse(null);
        Integer numPredict = o.optInt("num_predict", -2, Integer.MAX_VALUE, model.integer(Parameter.NUM_PREDICT).orElse(-1));
        Integer numCtx = o.optInt("num_ctx", 1, Integer.MAX_VALUE, null);
        List<String> stop = o.has("stop") ? o.optStringOrArray("stop", 64) : model.stop().orElse(List.of());
        SamplingParams sampling = new SamplingParams((float) temperature, Math.max(topK, 0),
                topP == 0 ? Float.MIN_NORMAL : (float) topP, (float) minP, (float) repeat, (float) frequency,
                (float) presence, lastN, seed == null || seed < 0 ? SamplingParams.RANDOM_SEED : seed & 0xFFFFFFFFL, 0);
        return new OllamaOptions(sampling, numPredict <= 0 ? null : numPredict, numCtx, stop);
    }

    /** The context this request may use: the engine's, or less when num_ctx asks for less. */
    int context(int engineContext) {
        return numCtx == null ? engineContext : Math.min(numCtx, engineContext);
    }

    /** The token budget for a prompt of {@code promptTokens}. */
    int budget(int promptTokens, int engineContext) {
        int ctx = context(engineContext);
        if (promptTokens >= ctx) {
            throw ApiException.badRequest("prompt", "the prompt has " + promptTokens + " tokens, more than the context of "
                    + ctx + " tokens" + (numCtx != null && numCtx > engineContext
                    ? " (num_ctx " + numCtx + " is above this server's context of " + engineContext + ")" : ""));
        }
        int room = ctx - promptTokens;
        return numPredict == null ? room : Math.min(numPredict, room);
    }
}
