package io.strata.coordinator.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.JsonRequest;
import io.strata.inference.sampling.SamplingParams;

import java.util.List;

/**
 * Ollama's {@code options} map (the names a Modelfile's PARAMETER lines use too) with Ollama's defaults. Options
 * Ollama itself ignores or that concern its runner (num_gpu, num_thread, mirostat, ...) are accepted and ignored.
 *
 * @param numPredict tokens to generate; null = until the context is full (Ollama's -1 and -2)
 * @param numCtx     the context the client asks for; null = the engine's
 */
record OllamaOptions(SamplingParams sampling, Integer numPredict, Integer numCtx, List<String> stop) {

    static OllamaOptions parse(JsonRequest request) {
        JsonNode node = request.get("options");
        JsonRequest o = node == null ? JsonRequest.of(JsonRequest.MAPPER.createObjectNode(), "options")
                : JsonRequest.of(node, "options");
        double temperature = o.optNumber("temperature", 0, 100, 0.8);
        int topK = o.optInt("top_k", -1, Integer.MAX_VALUE, 40);
        double topP = o.optNumber("top_p", 0, 1, 0.9);
        double minP = o.optNumber("min_p", 0, 1, 0.0);
        double repeat = o.optNumber("repeat_penalty", 0, 100, 1.0);
        if (repeat == 0) {
            throw ApiException.badRequest("options.repeat_penalty", "'options.repeat_penalty' must be greater than 0 (1 = off)");
        }
        int lastN = o.optInt("repeat_last_n", -1, Integer.MAX_VALUE, 64);
        double presence = o.optNumber("presence_penalty", -100, 100, 0.0);
        double frequency = o.optNumber("frequency_penalty", -100, 100, 0.0);
        Long seed = o.optLong("seed");
        Integer numPredict = o.optInt("num_predict", -2, Integer.MAX_VALUE, -1);
        Integer numCtx = o.optInt("num_ctx", 1, Integer.MAX_VALUE, null);
        List<String> stop = o.optStringOrArray("stop", 64);
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
