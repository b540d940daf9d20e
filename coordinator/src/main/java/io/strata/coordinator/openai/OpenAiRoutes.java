package io.strata.coordinator.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.coordinator.ServedModel;
import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.Ids;
import io.strata.coordinator.api.JsonRequest;
import io.strata.coordinator.api.Responses;
import io.strata.coordinator.generation.GenerationJob;
import io.strata.coordinator.generation.GenerationSpec;
import io.strata.coordinator.metrics.ServingMetrics;
import io.strata.coordinator.models.ListedModel;
import io.strata.coordinator.models.ModelCatalog;
import io.strata.coordinator.models.ModelRequests;
import io.strata.coordinator.models.UnknownModelException;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.chat.ChatMessage;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * OpenAI's API: {@code POST /v1/completions}, {@code POST /v1/chat/completions}, {@code GET /v1/models[/{id}]}.
 * Parsing and validation run on the event loop (cheap); templating and tokenization on a worker thread; generation
 * on the engine, whose events come back to this request's context.
 */
public final class OpenAiRoutes {
    /** Choices one request may ask for (prompts x n). */
    static final int MAX_CHOICES = 64;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private final Vertx vertx;
    private final ModelCatalog models;
    private final ServingMetrics metrics;

    public OpenAiRoutes(Vertx vertx, ModelCatalog models, ServingMetrics metrics) {
        this.vertx = vertx;
        this.models = models;
        this.metrics = metrics;
    }

    public void mount(Router router) {
        router.post("/v1/completions").handler(rc -> guard(rc, () -> completions(rc)));
        router.post("/v1/chat/completions").handler(rc -> guard(rc, () -> chat(rc)));
        router.get("/v1/models").handler(rc -> guard(rc, () -> models(rc)));
        router.get("/v1/models/:id").handler(rc -> guard(rc, () -> model(rc)));
    }

    private void guard(RoutingContext rc, Runnable body) {
        guard(rc, metrics, body);
    }

    private static void guard(RoutingContext rc, ServingMetrics metrics, Runnable body) {
        try {
            body.run();
        } catch (RuntimeException e) {
            fail(rc, metrics, e);
        }
    }

    private static void fail(RoutingContext rc, ServingMetrics metrics, Throwable t) {
        ApiException e = t instanceof UnknownModelException u ? ApiException.notFound("model", u.openAiMessage())
                : Responses.asApiException(t);
        metrics.requestFailed(e.status());
        Responses.openAiError(rc, e);
    }

    /** {@code body} with the request's model (loaded first if it must be), on this request's context. */
    private void withModel(RoutingContext rc, String name, Consumer<ServedModel> body) {
        ModelRequests.withModel(rc, vertx.getOrCreateContext(), models, name, null,
                m -> guard(rc, metrics.forModel(m.name()), () -> body.accept(m)), t -> fail(rc, metrics, t));
    }

    // ---- /v1/completions

    private void completions(RoutingContext rc) {
        long arrival = System.nanoTime();
        JsonRequest r = JsonRequest.parse(rc.body().buffer().getBytes());
        String name = r.requireString("model");
        withModel(rc, name, model -> completions(rc, r, name, model, arrival));
    }

    private void completions(RoutingContext rc, JsonRequest r, String name, ServedModel model, long arrival) {
        ServingMetrics metrics = this.metrics.forModel(model.name());
        List<Object> prompts = prompts(r, model);
        int n = r.optInt("n", 1, MAX_CHOICES, 1);
        if (prompts.size() * n > MAX_CHOICES) {
            throw ApiException.badRequest("n", prompts.size() + " prompts x n=" + n + " choices exceed the limit of "
                    + MAX_CHOICES + " choices per request");
        }
        if (r.has("best_of") && r.optInt("best_of", 1, MAX_CHOICES, 1) != n) {
            throw ApiException.badRequest("best_of", "'best_of' other than n is not supported");
        }
        if (r.has("suffix")) {
            throw ApiException.badRequest("suffix", "'suffix' (fill-in-the-middle) is not supported");
        }
        if (r.has("logit_bias") && !r.get("logit_bias").isEmpty()) {
            throw ApiException.badRequest("logit_bias", "'logit_bias' is not supported");
        }
        boolean stream = r.optBoolean("stream", false);
        boolean includeUsage = OpenAiParams.includeUsage(r, stream);
        Integer logprobs = r.optInt("logprobs", 0, 5, null);
        boolean echo = r.optBoolean("echo", false);
        Integer maxTokens = OpenAiParams.maxTokens(r, "max_tokens", 16, model.defaults());
        SamplingParams sampling = OpenAiParams.sampling(r, logprobs == null ? 0 : Math.max(1, logprobs), model.defaults());
        List<String> stop = OpenAiParams.stop(r, model.defaults());
        boolean ignoreEos = r.optBoolean("ignore_eos", false);
        boolean tokenIds = r.optBoolean("return_tokens_as_token_ids", false);
        Context ctx = vertx.getOrCreateContext();
        vertx.executeBlocking(() -> {
            List<int[]> ids = new ArrayList<>();
            for (Object p : prompts) {
                ids.add(p instanceof String s ? model.tokenizePrompt(s) : (int[]) p);
            }
            return ids;
        }).onComplete(done -> guard(rc, metrics, () -> {
            if (done.failed()) {
                throw Responses.asApiException(done.cause());
            }
            List<int[]> ids = done.result();
            List<GenerationSpec> specs = new ArrayList<>();
            int[] groups = new int[ids.size() * n];
            boolean[] wantLp = new boolean[groups.length];
            for (int p = 0; p < ids.size(); p++) {
                int[] prompt = ids.get(p);
                checkPromptTokens(prompt, "prompt");
                int budget = OpenAiParams.budget(prompt.length, maxTokens, model.contextSize());
                for (int j = 0; j < n; j++) {
                    groups[specs.size()] = p;
                    wantLp[specs.size()] = logprobs != null;
                    specs.add(new GenerationSpec(prompt, OpenAiParams.forChoice(sampling, j), budget, stop,
                            logprobs != null, logprobs == null ? 0 : logprobs, ignoreEos));
                }
            }
            OpenAiResponder out = new OpenAiResponder(OpenAiResponder.Kind.COMPLETION, rc, metrics, name, stream,
                    includeUsage, wantLp, arrival);
            out.tokensAsIds(tokenIds);
            out.promptGroups(groups);
            if (echo) {
                for (int i = 0; i < specs.size(); i++) {
                    Object p = prompts.get(groups[i]);
                    out.echo(i, p instanceof String s ? s : model.tokenizer().decode((int[]) p, true));
                }
            }
            start(rc, ctx, model, metrics, specs, out, arrival);
        }));
    }

    /** prompt: a string, an array of strings, an array of token ids, or an array of arrays of token ids. */
    private static List<Object> prompts(JsonRequest r, ServedModel model) {
        JsonNode p = r.get("prompt");
        if (p == null) {
            throw ApiException.badRequest("prompt", "'prompt' is required");
        }
        List<Object> out = new ArrayList<>();
        if (p.isTextual()) {
            out.add(p.textValue());
            return out;
        }
        if (!p.isArray() || p.isEmpty()) {
            throw ApiException.badRequest("prompt", "'prompt' must be a string, an array of strings or an array of "
                    + "token ids, got " + (p.isArray() ? "an empty array" : JsonRequest.kind(p)));
        }
        if (p.get(0).isIntegralNumber()) {
            out.add(tokenIds(p, "prompt", model));
            return out;
        }
        for (int i = 0; i < p.size(); i++) {
            JsonNode item = p.get(i);
            if (item.isTextual()) {
                out.add(item.textValue());
            } else if (item.isArray()) {
                out.add(tokenIds(item, "prompt[" + i + "]", model));
            } else {
                throw ApiException.badRequest("prompt", "'prompt[" + i + "]' must be a string or an array of token ids, got "
                        + JsonRequest.kind(item));
            }
        }
        return out;
    }

    private static int[] tokenIds(JsonNode arr, String field, ServedModel model) {
        int[] ids = new int[arr.size()];
        int vocab = model.engine().vocabSize();
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = arr.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.intValue() < 0 || t.intValue() >= vocab) {
                throw ApiException.badRequest("prompt", "'" + field + "[" + i + "]' must be a token id in 0.." + (vocab - 1)
                        + ", got " + t);
            }
            ids[i] = t.intValue();
        }
        return ids;
    }

    private static void checkPromptTokens(int[] prompt, String field) {
        if (prompt.length == 0) {
            throw ApiException.badRequest(field, "the " + field + " is empty: it gives the model nothing to continue");
        }
    }

    // ---- /v1/chat/completions

    private void chat(RoutingContext rc) {
        long arrival = System.nanoTime();
        JsonRequest r = JsonRequest.parse(rc.body().buffer().getBytes());
        String name = r.requireString("model");
        List<ChatMessage> messages = messages(r);
        withModel(rc, name, model -> chat(rc, r, name, model, messages, arrival));
    }

    private void chat(RoutingContext rc, JsonRequest r, String name, ServedModel model, List<ChatMessage> messages,
                      long arrival) {
        ServingMetrics metrics = this.metrics.forModel(model.name());
        int n = r.optInt("n", 1, MAX_CHOICES, 1);
        boolean stream = r.optBoolean("stream", false);
        boolean includeUsage = OpenAiParams.includeUsage(r, stream);
        boolean logprobs = r.optBoolean("logprobs", false);
        Integer top = r.optInt("top_logprobs", 0, SamplingParams.MAX_LOGPROBS, null);
        if (top != null && !logprobs) {
            throw ApiException.badRequest("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        }
        if (r.has("tools") && !r.get("tools").isEmpty()) {
            throw ApiException.badRequest("tools", "tool calling is not supported yet");
        }
        if (r.has("response_format")) {
            String type = JsonRequest.of(r.get("response_format"), "response_format").optString("type", "text");
            if (!"text".equals(type)) {
                throw ApiException.badRequest("response_format", "response_format type '" + type + "' is not supported; only 'text'");
            }
        }
        if (r.has("logit_bias") && !r.get("logit_bias").isEmpty()) {
            throw ApiException.badRequest("logit_bias", "'logit_bias' is not supported");
        }
        Integer maxTokens = OpenAiParams.maxTokens(r, r.has("max_completion_tokens") ? "max_completion_tokens"
                : "max_tokens", null, model.defaults());
        int topCount = top == null ? 0 : top;
        SamplingParams sampling = OpenAiParams.sampling(r, logprobs ? Math.max(1, topCount) : 0, model.defaults());
        List<String> stop = OpenAiParams.stop(r, model.defaults());
        boolean ignoreEos = r.optBoolean("ignore_eos", false);
        boolean tokenIds = r.optBoolean("return_tokens_as_token_ids", false);
        Context ctx = vertx.getOrCreateContext();
        vertx.executeBlocking(() -> model.tokenizeChat(model.renderConversation(messages))).onComplete(done -> guard(rc, metrics, () -> {
            if (done.failed()) {
                Throwable c = done.cause();
                throw c instanceof RuntimeException && !(c instanceof ApiException) && !(c instanceof IllegalArgumentException)
                        ? ApiException.badRequest("messages", "the chat template failed on these messages: " + c.getMessage())
                        : Responses.asApiException(c);
            }
            int[] prompt = done.result();
            checkPromptTokens(prompt, "prompt");
            int budget = OpenAiParams.budget(prompt.length, maxTokens, model.contextSize());
            List<GenerationSpec> specs = new ArrayList<>();
            boolean[] wantLp = new boolean[n];
            for (int j = 0; j < n; j++) {
                wantLp[j] = logprobs;
                specs.add(new GenerationSpec(prompt, OpenAiParams.forChoice(sampling, j), budget, stop, logprobs,
                        topCount, ignoreEos));
            }
            OpenAiResponder out = new OpenAiResponder(OpenAiResponder.Kind.CHAT, rc, metrics, name, stream,
                    includeUsage, wantLp, arrival);
            out.tokensAsIds(tokenIds);
            out.promptGroups(new int[n]);
            start(rc, ctx, model, metrics, specs, out, arrival);
        }));
    }

    /** messages: roles system/developer/user/assistant/tool, content a string or an array of text parts. */
    private static List<ChatMessage> messages(JsonRequest r) {
        JsonNode arr = r.get("messages");
        if (arr == null) {
            throw ApiException.badRequest("messages", "'messages' is required");
        }
        if (!arr.isArray()) {
            throw r.wrongType("messages", "an array of messages", arr);
        }
        if (arr.isEmpty()) {
            throw ApiException.badRequest("messages", "'messages' must contain at least one message");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            String path = "messages[" + i + "]";
            JsonRequest m = JsonRequest.of(arr.get(i), path);
            String role = m.requireString("role");
            if (!ROLES.contains(role)) {
                throw ApiException.badRequest(path + ".role", "'" + path + ".role' must be one of system, developer, "
                        + "user, assistant, tool; got '" + role + "'");
            }
            out.add(new ChatMessage("developer".equals(role) ? "system" : role, content(m, path)));
        }
        return out;
    }

    private static String content(JsonRequest m, String path) {
        JsonNode c = m.get("content");
        if (c == null) {
            return "";
        }
        if (c.isTextual()) {
            return c.textValue();
        }
        if (!c.isArray()) {
            throw m.wrongType("content", "a string or an array of content parts", c);
        }
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < c.size(); j++) {
            JsonRequest part = JsonRequest.of(c.get(j), path + ".content[" + j + "]");
            String type = part.requireString("type");
            if (!"text".equals(type)) {
                throw ApiException.badRequest(path + ".content[" + j + "].type", "content part type '" + type
                        + "' is not supported by this model; only 'text'");
            }
            text.append(part.requireString("text"));
        }
        return text.toString();
    }

    private static void start(RoutingContext rc, Context ctx, ServedModel model, ServingMetrics metrics,
                              List<GenerationSpec> specs, OpenAiResponder out, long arrival) {
        GenerationJob job = GenerationJob.start(Ids.random(), model, metrics, ctx, specs, out, arrival);
        rc.addEndHandler(v -> job.cancel()); // the client went away (after the end it cancels nothing)
        out.begin();
    }

    // ---- /v1/models

    /** The stored models and the loaded ones (the store is read on a worker thread). */
    private void models(RoutingContext rc) {
        vertx.executeBlocking(models::list).onComplete(done -> guard(rc, () -> {
            if (done.failed()) {
                throw Responses.asApiException(done.cause());
            }
            ObjectNode body = Responses.object();
            body.put("object", "list");
            ArrayNode data = body.putArray("data");
            for (ListedModel l : done.result()) {
                data.add(modelObject(l.id(), l.modified().getEpochSecond(), l.contextLength()));
            }
            Responses.json(rc, 200, body);
        }));
    }

    /** One model, read and not loaded when it is not loaded already. */
    private void model(RoutingContext rc) {
        String id = rc.pathParam("id");
        ModelRequests.onContext(vertx.getOrCreateContext(),
                models.inspect(id, f -> modelObject(f.name(), f.modifiedEpochSeconds(), f.contextSize())), (o, error) -> {
                    if (error != null) {
                        fail(rc, metrics, error);
                    } else {
                        Responses.json(rc, 200, o);
                    }
                });
    }

    /** @param contextSize the context its requests get, 0 when unknown (not loaded): then no max_model_len */
    private static ObjectNode modelObject(String id, long created, int contextSize) {
        ObjectNode m = Responses.object();
        m.put("id", id);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "strata");
        m.put("root", id);
        m.putNull("parent");
        if (contextSize > 0) {
            m.put("max_model_len", contextSize);
        }
        return m;
    }
}
