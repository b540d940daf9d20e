package io.strata.coordinator.ollama;

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

/**
 * Ollama's API: {@code /api/generate}, {@code /api/chat} (NDJSON streaming by default), {@code /api/tags},
 * {@code /api/show}, {@code /api/ps}, {@code /api/version}, and {@code GET /}, the liveness check Ollama clients use.
 */
public final class OllamaRoutes {
    /** What /api/version reports: the Ollama API level these routes follow. */
    static final String API_VERSION = "0.12.0";
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

    private final Vertx vertx;
    private final ServedModel model;
    private final ServingMetrics metrics;

    public OllamaRoutes(Vertx vertx, ServedModel model, ServingMetrics metrics) {
        this.vertx = vertx;
        this.model = model;
        this.metrics = metrics;
    }

    public void mount(Router router) {
        router.get("/").handler(rc -> rc.response().putHeader("Content-Type", "text/plain").end("Ollama is running"));
        router.head("/").handler(rc -> rc.response().end());
        router.post("/api/generate").handler(rc -> guard(rc, () -> generate(rc)));
        router.post("/api/chat").handler(rc -> guard(rc, () -> chat(rc)));
        router.get("/api/tags").handler(rc -> guard(rc, () -> Responses.json(rc, 200, tags())));
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
        try {
            body.run();
        } catch (RuntimeException e) {
            ApiException a = Responses.asApiException(e);
            metrics.requestFailed(a.status());
            Responses.ollamaError(rc, a);
        }
    }

    private String checkModel(JsonRequest r) {
        String name = r.has("model") ? r.requireString("model") : r.optString("name", null);
        if (name == null) {
            throw ApiException.badRequest("model", "'model' is required");
        }
        if (!model.answersTo(name)) {
            throw ApiException.notFound("model", "model '" + name + "' not found");
        }
        return name;
    }

    // ---- generation

    private void generate(RoutingContext rc) {
        long arrival = System.nanoTime();
        JsonRequest r = JsonRequest.parse(rc.body().buffer().getBytes());
        String name = checkModel(r);
        refuseUnsupported(r, "images", "format", "template", "suffix");
        String prompt = r.optString("prompt", "");
        String system = r.optString("system", null);
        boolean raw = r.optBoolean("raw", false);
        if (raw && system != null) {
            throw ApiException.badRequest("raw", "'raw' cannot be combined with 'system'");
        }
        boolean stream = r.optBoolean("stream", true);
        OllamaOptions options = OllamaOptions.parse(r, model.defaults());
        if (prompt.isEmpty()) {
            loaded(rc, name, false);
            return;
        }
        run(rc, name, false, stream, options, arrival, () -> {
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
        String name = checkModel(r);
        refuseUnsupported(r, "format", "tools");
        boolean stream = r.optBoolean("stream", true);
        OllamaOptions options = OllamaOptions.parse(r, model.defaults());
        JsonNode arr = r.get("messages");
        if (arr == null || (arr.isArray() && arr.isEmpty())) {
            loaded(rc, name, true);
            return;
        }
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
        run(rc, name, true, stream, options, arrival, () -> model.tokenizeChat(model.renderConversation(messages)));
    }

    private static void refuseUnsupported(JsonRequest r, String... fields) {
        for (String f : fields) {
            JsonNode v = r.get(f);
            if (v != null && !(v.isTextual() && v.textValue().isEmpty()) && !(v.isContainerNode() && v.isEmpty())) {
                throw ApiException.badRequest(f, "'" + f + "' is not supported yet");
            }
        }
    }

    /** An empty prompt or conversation only loads the model, as in Ollama. */
    private void loaded(RoutingContext rc, String name, boolean chat) {
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
        o.put("done_reason", "load");
        Responses.json(rc, 200, o);
    }

    private void run(RoutingContext rc, String name, boolean chat, boolean stream, OllamaOptions options,
                     long arrival, Callable<int[]> tokenize) {
        Context ctx = vertx.getOrCreateContext();
        vertx.executeBlocking(tokenize).onComplete(done -> guard(rc, () -> {
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
            rc.response().closeHandler(v -> job.cancel());
            out.begin(job);
        }));
    }

    // ---- model information

    private ObjectNode tags() {
        ObjectNode body = Responses.object();
        ObjectNode m = body.putArray("models").addObject();
        m.put("name", model.name() + ":latest");
        m.put("model", model.name() + ":latest");
        m.put("modified_at", Instant.ofEpochSecond(model.modifiedEpochSeconds()).toString());
        m.put("size", model.sizeBytes());
        m.put("digest", model.digest());
        m.set("details", details());
        return body;
    }

    private ObjectNode ps() {
        ObjectNode body = Responses.object();
        ObjectNode m = body.putArray("models").addObject();
        m.put("name", model.name() + ":latest");
        m.put("model", model.name() + ":latest");
        m.put("size", model.sizeBytes());
        m.put("digest", model.digest());
        m.set("details", details());
        m.put("expires_at", "2318-01-01T00:00:00Z"); // loaded for as long as the server runs
        m.put("size_vram", 0);
        m.put("context_length", model.contextSize());
        return body;
    }

    private void show(RoutingContext rc) {
        JsonRequest r = JsonRequest.parse(rc.body().buffer().getBytes());
        checkModel(r);
        boolean verbose = r.optBoolean("verbose", false);
        ObjectNode o = Responses.object();
        ModelDefaults defaults = model.defaults();
        o.put("license", defaults.licenses().isEmpty()
                ? model.model().file().metadata().getString("general.license", "") : defaults.license());
        o.put("modelfile", "# Modelfile generated by strata\nFROM " + model.path() + "\n" + defaults.modelfileInstructions());
        o.put("parameters", defaults.parametersText());
        o.put("template", model.templateSource());
        o.put("system", defaults.system().orElse(""));
        if (!defaults.messages().isEmpty()) {
            ArrayNode msgs = o.putArray("messages");
            defaults.messages().forEach(m -> msgs.addObject().put("role", m.role()).put("content", m.content()));
        }
        o.set("details", details());
        ObjectNode info = o.putObject("model_info");
        Map<String, GgufValue> md = new TreeMap<>(model.model().file().metadata().asMap());
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
        o.put("modified_at", Instant.ofEpochSecond(model.modifiedEpochSeconds()).toString());
        Responses.json(rc, 200, o);
    }

    private ObjectNode details() {
        ObjectNode d = Responses.object();
        String arch = model.model().config().architecture().name().toLowerCase();
        d.put("parent_model", "");
        d.put("format", "gguf");
        d.put("family", arch);
        d.putArray("families").add(arch);
        d.put("parameter_size", parameterSize(model.parameterCount()));
        d.put("quantization_level", model.dominantType());
        return d;
    }

    static String parameterSize(long params) {
        if (params >= 1_000_000_000L) {
            return String.format(java.util.Locale.ROOT, "%.1fB", params / 1e9);
        }
        if (params >= 1_000_000L) {
            return String.format(java.util.Locale.ROOT, "%.1fM", params / 1e6);
        }
        return String.format(java.util.Locale.ROOT, "%.1fK", params / 1e3);
    }
}
