package io.strata.coordinator.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.coordinator.ModelFacts;
import io.strata.coordinator.ServedModel;
import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.Ids;
import io.strata.coordinator.api.JsonRequest;
import io.strata.coordinator.api.Responses;
import io.strata.coordinator.generation.GenerationJob;
import io.strata.coordinator.generation.GenerationSpec;
import io.strata.coordinator.metrics.ServingMetrics;
import io.strata.coordinator.models.KeepAlive;
import io.strata.coordinator.models.ListedModel;
import io.strata.coordinator.models.LoadedStatus;
import io.strata.coordinator.models.ModelCatalog;
import io.strata.coordinator.models.ModelRequests;
import io.strata.coordinator.models.UnknownModelException;
import io.strata.model.chat.ChatMessage;
import io.strata.model.gguf.GgufValue;
import io.strata.model.modelfile.ModelDefaults;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * Ollama's API: {@code /api/generate}, {@code /api/chat} (NDJSON streaming by default), {@code /api/tags},
 * {@code /api/show}, {@code /api/ps}, {@code /api/version}, and {@code GET /}, the liveness check Ollama clients use.
 * A request's {@code model} is whatever the {@link ModelCatalog} resolves it to (loaded on demand in
 * {@code strata serve}); {@code keep_alive} says how long it stays loaded after the request, and
 * {@code keep_alive: 0} without a prompt unloads it.
 */
public final class OllamaRoutes {
    /** What /api/version reports: the Ollama API level these routes follow. */
    static final String API_VERSION = "0.12.0";
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

    private final Vertx vertx;
    private final ModelCatalog models;
    private final ServingMetrics metrics;

    public OllamaRoutes(Vertx vertx, ModelCatalog models, ServingMetrics metrics) {
        this.vertx = vertx;
        this.models = models;
        this.metrics = metrics;
    }

    public void mount(Router router) {
        router.get("/").handler(rc -> rc.response().putHeader("Content-Type", "text/plain").end("Ollama is running"));
        router.head("/").handler(rc -> rc.response().end());
        router.post("/api/generate").handler(rc -> guard(rc, () -> generate(rc)));
        router.post("/api/chat").handler(rc -> guard(rc, () -> chat(rc)));
        router.get("/api/tags").handler(rc -> guard(rc, () -> tags(rc)));
        router.head("/api/tags").handler(rc -> rc.response().end());
        router.post("/api/show").handler(rc -> guard(rc, () -> show(rc)));
        router.get("/api/ps").handler(rc -> guard(rc, () -> Responses.json(rc, 200, ps())));
        router.get("/api/version").handler(rc -> {
            ObjectNode o = Responses.object();
            o.put("version", API_VERSION);
            Responses.json(rc, 200, o);
        });
        router.head("/api/version").handler(rc -> rc.response().end());
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
        ApiException a = t instanceof UnknownModelException u ? ApiException.notFound("model", u.ollamaMessage())
                : Responses.asApiException(t);
        metrics.requestFailed(a.status());
        Responses.ollamaError(rc, a);
    }

    private static String modelName(JsonRequest r) {
        String name = r.has("model") ? r.requireString("model") : r.optString("name", null);
        if (name == null) {
            throw ApiException.badRequest("model", "'model' is required");
        }
        return name;
    }

    /** {@code body} with the request's model, on this request's context; errors in Ollama's shape. */
    private void withModel(RoutingContext rc, String name, KeepAlive keepAlive, Consumer<ServedModel> body) {
        ModelRequests.withModel(rc, vertx.getOrCreateContext(), models, name, keepAlive,
                m -> guard(rc, metrics.forModel(m.name()), () -> body.accept(m)), t -> fail(rc, metrics, t));
    }

    // ---- generation

    private void generate(RoutingContext rc) {
        long arrival = System.nanoTime();
        JsonRequest r = JsonRequest.parse(rc.body().buffer().getBytes());
        String name = modelName(r);
        refuseUnsupported(r, "images", "format", "template", "suffix");
        String prompt = r.optString("prompt", "");
        String system = r.optString("system", null);
        boolean raw = r.optBoolean("raw", false);
        if (raw && system != null) {
            throw ApiException.badRequest("raw", "'raw' cannot be combined with 'system'");
        }
        boolean stream = r.optBoolean("stream", true);
        KeepAlive keepAlive = KeepAlive.fromJson(r.get("keep_alive"), "keep_alive");
        if (prompt.isEmpty() && keepAlive != null && keepAlive.zero()) {
            unload(rc, name, false);
            return;
        }
        withModel(rc, name, keepAlive, model -> generate(rc, model, name, prompt, system, raw, stream,
                OllamaOptions.parse(r, model.defaults()), arrival));
    }

    private void generate(RoutingContext rc, ServedModel model, String name, String prompt, String system, boolean raw,
                          boolean stream, OllamaOptions options, long arrival) {
        if (prompt.isEmpty()) {
            loaded(rc, name, false, "load");
            return;
        }
        run(rc, model, name, false, stream, options, arrival, () -> {
            if (raw) {
                return model.tokenizePrompt(prompt);
            }
            if (!model.hasChatTemplate()) {
                // Ollama's default template for a model without one is {{ .Prompt }}; the system prompt goes first
                String sys = model.defaults().systemFor(system).orElse(null);
                return model.tokenizePrompt(sys == null ? prompt : sys + "\n\n" + prompt);
            }
            return model.tokenizeChat(model.renderChat(model.defaults().generate(system, prompt)));
        });
    }

    private void chat(RoutingContext rc) {
        long arrival = System.nanoTime();
        JsonRequest r = JsonRequest.parse(rc.body().buffer().getBytes());
        String name = modelName(r);
        refuseUnsupported(r, "format", "tools");
        boolean stream = r.optBoolean("stream", true);
        KeepAlive keepAlive = KeepAlive.fromJson(r.get("keep_alive"), "keep_alive");
        JsonNode arr = r.get("messages");
        boolean empty = arr == null || (arr.isArray() && arr.isEmpty());
        if (empty && keepAlive != null && keepAlive.zero()) {
            unload(rc, name, true);
            return;
        }
        List<ChatMessage> messages = empty ? List.of() : messages(r, arr);
        withModel(rc, name, keepAlive, model -> {
            OllamaOptions options = OllamaOptions.parse(r, model.defaults());
            if (empty) {
                loaded(rc, name, true, "load");
                return;
            }
            run(rc, model, name, true, stream, options, arrival, () -> model.tokenizeChat(model.renderConversation(messages)));
        });
    }

    private static List<ChatMessage> messages(JsonRequest r, JsonNode arr) {
        if (!arr.isArray()) {
            throw r.wrongType("messages", "an array of messages", arr);
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            String path = "messages[" + i + "]";
            JsonRequest m = JsonRequest.of(arr.get(i), path);
            String role = m.requireString("role");
            if (!ROLES.contains(role)) {
                throw ApiException.badRequest(path + ".role", "'" + path + ".role' must be one of system, user, "
                        + "assistant, tool; got '" + role + "'");
            }
            if (m.has("images") && !m.get("images").isEmpty()) {
                throw ApiException.badRequest(path + ".images", "images are not supported by this model");
            }
            messages.add(new ChatMessage(role, m.optString("content", "")));
        }
        return messages;
    }

    private static void refuseUnsupported(JsonRequest r, String... fields) {
        for (String f : fields) {
            JsonNode v = r.get(f);
            if (v != null && !(v.isTextual() && v.textValue().isEmpty()) && !(v.isContainerNode() && v.isEmpty())) {
                throw ApiException.badRequest(f, "'" + f + "' is not supported yet");
            }
        }
    }

    /** keep_alive 0 without a prompt or messages unloads the model (never loading it to do so), as in Ollama. */
    private void unload(RoutingContext rc, String name, boolean chat) {
        ModelRequests.onContext(vertx.getOrCreateContext(), models.unload(name), (was, error) -> {
            if (error != null) {
                fail(rc, metrics, error);
            } else {
                loaded(rc, name, chat, "unload");
            }
        });
    }

    /** An empty prompt or conversation only loads the model (or unloads it), as in Ollama. */
    private static void loaded(RoutingContext rc, String name, boolean chat, String reason) {
        ObjectNode o = Responses.object();
        o.put("model", name);
        o.put("created_at", Instant.now().toString());
        if (chat) {
            ObjectNode m = o.putObject("message");
            m.put("role", "assistant");
            m.put("content", "");
        } else {
            o.put("response", "");
        }
        o.put("done", true);
        o.put("done_reason", reason);
        Responses.json(rc, 200, o);
    }

    private void run(RoutingContext rc, ServedModel model, String name, boolean chat, boolean stream,
                     OllamaOptions options, long arrival, Callable<int[]> tokenize) {
        Context ctx = vertx.getOrCreateContext();
        ServingMetrics metrics = this.metrics.forModel(model.name());
        vertx.executeBlocking(tokenize).onComplete(done -> guard(rc, metrics, () -> {
            if (done.failed()) {
                throw Responses.asApiException(done.cause());
            }
            int[] prompt = done.result();
            if (prompt.length == 0) {
                throw ApiException.badRequest("prompt", "the prompt is empty: it gives the model nothing to continue");
            }
            int budget = options.budget(prompt.length, model.contextSize());
            if (budget < 1) {
                throw ApiException.badRequest("options.num_predict", "no room left in the context to generate");
            }
            GenerationSpec spec = new GenerationSpec(prompt, options.sampling(), budget, options.stop(), false, 0);
            OllamaResponder out = new OllamaResponder(chat, rc, metrics, name, stream, arrival);
            GenerationJob job = GenerationJob.start(Ids.random(), model, metrics, ctx, List.of(spec), out, arrival);
            rc.addEndHandler(v -> job.cancel()); // the client went away (after the end it cancels nothing)
            out.begin(job);
        }));
    }

    // ---- model information

    /** The stored models and the loaded ones (the store is read on a worker thread). */
    private void tags(RoutingContext rc) {
        vertx.executeBlocking(models::list).onComplete(done -> guard(rc, () -> {
            if (done.failed()) {
                throw Responses.asApiException(done.cause());
            }
            ObjectNode body = Responses.object();
            ArrayNode list = body.putArray("models");
            for (ListedModel l : done.result()) {
                ObjectNode m = list.addObject();
                m.put("name", l.name());
                m.put("model", l.name());
                m.put("modified_at", l.modified().toString());
                m.put("size", l.size());
                m.put("digest", l.digest());
                m.set("details", details(l.family(), l.parameterSize(), l.quantization()));
            }
            Responses.json(rc, 200, body);
        }));
    }

    private ObjectNode ps() {
        ObjectNode body = Responses.object();
        ArrayNode list = body.putArray("models");
        for (LoadedStatus s : models.loaded()) {
            ModelFacts f = s.model().facts();
            ObjectNode m = list.addObject();
            m.put("name", ListedModel.of(f).name());
            m.put("model", ListedModel.of(f).name());
            m.put("size", f.sizeBytes());
            m.put("digest", f.digest());
            m.set("details", details(f));
            // for ever is a date far ahead, as Ollama writes keep_alive -1
            m.put("expires_at", s.expiresAt() == null ? "2318-01-01T00:00:00Z" : s.expiresAt().toString());
            m.put("size_vram", 0);
            m.put("context_length", s.model().contextSize());
        }
        return body;
    }

    /** What the model's files say; a model that is not loaded is read, not loaded (as Ollama's show). */
    private void show(RoutingContext rc) {
        JsonRequest r = JsonRequest.parse(rc.body().buffer().getBytes());
        String name = modelName(r);
        boolean verbose = r.optBoolean("verbose", false);
        ModelRequests.onContext(vertx.getOrCreateContext(), models.inspect(name, f -> show(f, verbose)), (o, error) -> {
            if (error != null) {
                fail(rc, metrics, error);
            } else {
                Responses.json(rc, 200, o);
            }
        });
    }

    private static ObjectNode show(ModelFacts f, boolean verbose) {
        ObjectNode o = Responses.object();
        ModelDefaults defaults = f.defaults();
        o.put("license", defaults.licenses().isEmpty() ? f.metadata().getString("general.license", "") : defaults.license());
        o.put("modelfile", "# Modelfile generated by strata\nFROM " + f.path() + "\n" + defaults.modelfileInstructions());
        o.put("parameters", defaults.parametersText());
        o.put("template", f.templateSource());
        o.put("system", defaults.system().orElse(""));
        if (!defaults.messages().isEmpty()) {
            ArrayNode msgs = o.putArray("messages");
            defaults.messages().forEach(m -> msgs.addObject().put("role", m.role()).put("content", m.content()));
        }
        o.set("details", details(f));
        ObjectNode info = o.putObject("model_info");
        Map<String, GgufValue> md = new TreeMap<>(f.metadata().asMap());
        for (Map.Entry<String, GgufValue> e : md.entrySet()) {
            Object v = e.getValue().value();
            if (v instanceof io.strata.model.gguf.GgufArray a) {
                if (verbose && a.length() <= 1_000_000) {
                    info.set(e.getKey(), JsonRequest.MAPPER.valueToTree(a.values()));
                } else {
                    info.putNull(e.getKey());
                }
            } else if (v instanceof String s) {
                info.put(e.getKey(), s);
            } else {
                info.set(e.getKey(), JsonRequest.MAPPER.valueToTree(v));
            }
        }
        ArrayNode caps = o.putArray("capabilities");
        caps.add("completion");
        o.put("modified_at", Instant.ofEpochSecond(f.modifiedEpochSeconds()).toString());
        return o;
    }

    private static ObjectNode details(ModelFacts f) {
        return details(f.architecture(), parameterSize(f.parameterCount()), f.dominantType());
    }

    private static ObjectNode details(String family, String parameterSize, String quantization) {
        ObjectNode d = Responses.object();
        d.put("parent_model", "");
        d.put("format", "gguf");
        d.put("family", family);
        d.putArray("families").add(family);
        d.put("parameter_size", parameterSize);
        d.put("quantization_level", quantization);
        return d;
    }

    static String parameterSize(long params) {
        return ListedModel.parameterSize(params);
    }
}
