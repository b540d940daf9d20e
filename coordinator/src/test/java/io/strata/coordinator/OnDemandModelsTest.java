package io.strata.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.coordinator.api.JsonRequest;
import io.strata.coordinator.models.KeepAlive;
import io.strata.coordinator.models.LocalModelLoader;
import io.strata.coordinator.models.ModelLease;
import io.strata.coordinator.models.ModelPool;
import io.strata.coordinator.models.ModelSpec;
import io.strata.model.modelfile.ModelCreator;
import io.strata.model.modelfile.ModelfileParser;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The API {@code model} field naming models other than the one the server started with, through a real server on
 * loopback over a real store: a stored model is loaded on demand with its Modelfile defaults and gives llama.cpp's
 * greedy text for its weights; the least recently used idle model makes room; concurrent first requests load once;
 * keep_alive unloads; a model with a request running is never unloaded under it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OnDemandModelsTest {
    /** B: other weights (stories260K requantized, a different greedy text), with defaults that decide the request. */
    static final String MODELFILE_B = """
            FROM stories260K-Q5_1-mix.gguf
            PARAMETER temperature 0
            PARAMETER num_predict 48
            PARAMETER stop toys
            SYSTEM Be brief.
            """;

    static Path home;
    static ModelLocator locator;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    ModelPool pool;
    HttpApiServer server;

    @BeforeAll
    static void store() throws Exception {
        home = Files.createTempDirectory("strata-on-demand");
        ModelStore store = ModelStore.inHome(home);
        locator = new ModelLocator(store, ModelLocator.fromEnvironment().roots());
        new ModelCreator(store, locator, line -> { }).create(ModelName.parse("b"), ModelfileParser.parse(MODELFILE_B, home));
    }

    @AfterAll
    static void removeStore() throws Exception {
        try (var files = Files.walk(home)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A server started with stories260K (A), on demand up to {@code maxLoaded} models. */
    void start(int maxLoaded, Duration maxWait) {
        LocalModelLoader loader = new LocalModelLoader(locator, new LocalModelLoader.Slots(4, 256, 64, 64, 2));
        ModelSpec a = LocalModelLoader.spec("stories260K", locator.resolve("stories260K.gguf"));
        pool = new ModelPool(loader, new ModelPool.Settings(maxLoaded, KeepAlive.OLLAMA_DEFAULT, maxWait, 16),
                loader.load(a), a);
        server = HttpApiServer.start(pool, ServerConfig.defaults().withPort(0));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    static String golden(String model) throws Exception {
        String ref = Files.readString(Path.of(System.getProperty("strata.shared", "../shared"), "golden", model,
                "greedy_once_upon_a_time_kvf32.txt"), StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("(?m)^generated_text: \"(.*)\"$").matcher(ref);
        assertTrue(m.find(), "no generated_text in the golden file of " + model);
        return m.group(1);
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JsonRequest.MAPPER.readTree(r.body());
    }

    /** A greedy 48-token completion of "Once upon a time", the golden files' prompt. */
    String complete(String model) throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time\","
                + "\"max_tokens\":48,\"temperature\":0}");
        assertEquals(200, r.statusCode(), r.body());
        return json(r).get("choices").get(0).get("text").asText();
    }

    /** The names /api/ps lists. */
    List<String> loaded() throws Exception {
        List<String> out = new ArrayList<>();
        json(get("/api/ps")).get("models").forEach(m -> out.add(m.get("name").asText()));
        return out;
    }

    /** Polls /api/ps until it lists exactly {@code names} (unloads finish on the pool's thread). */
    void awaitLoaded(Set<String> names) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> now = loaded();
        while (!Set.copyOf(now).equals(names) && System.nanoTime() < end) {
            Thread.sleep(20);
            now = loaded();
        }
        assertEquals(names, Set.copyOf(now));
    }

    /** Polls /metrics until {@code series} has {@code value} (an unload is counted once its engine has stopped). */
    void awaitMetric(String series, double value) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (metric(series) != value && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertEquals(value, metric(series), series);
    }

    double metric(String series) throws Exception {
        for (String line : get("/metrics").body().lines().toList()) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    @Test
    void aStoredModelLoadsOnDemandWithItsDefaultsAndGivesItsGoldenTextThenTheFirstModelAgain() throws Exception {
        start(1, Duration.ofSeconds(5));
        String a = golden("stories260K");
        String b = golden("stories260K-Q5_1-mix");
        assertFalse(a.equals(b), "the two models must continue differently for this test to tell them apart");
        assertEquals(a, complete("stories260K").strip());

        // only the prompt: B's temperature 0, num_predict 48 and stop "toys" decide the rest
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"b\",\"prompt\":\"Once upon a time\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = json(r).get("choices").get(0);
        assertEquals(b.substring(0, b.indexOf("toys")), choice.get("text").asText().stripLeading());
        assertEquals("stop", choice.get("finish_reason").asText());
        assertEquals("b", json(r).get("model").asText());
        awaitLoaded(Set.of("b:latest"));
        awaitMetric("strata_model_unloads_total{model_name=\"stories260K\",reason=\"lru\"}", 1);

        JsonNode listed = null;
        for (JsonNode m : json(get("/v1/models")).get("data")) {
            listed = m.get("id").asText().equals("b") ? m : listed;
        }
        assertEquals(256, listed.get("max_model_len").asInt(), "a loaded stored model has its context listed");
        assertEquals(256, json(get("/v1/models/b")).get("max_model_len").asInt());

        // Ollama's API on the loaded B: its SYSTEM is shown, and its options apply (48 tokens unless "toys" stops it)
        JsonNode show = json(post("/api/show", "{\"model\":\"b\"}"));
        assertEquals("Be brief.", show.get("system").asText());
        assertTrue(show.get("parameters").asText().contains("stop"), show.toString());
        JsonNode gen = json(post("/api/generate", "{\"model\":\"b:latest\",\"prompt\":\"Once upon a time\",\"raw\":true,"
                + "\"stream\":false,\"options\":{\"stop\":[]}}"));
        assertEquals(b, gen.get("response").asText().stripLeading());
        assertEquals(48, gen.get("eval_count").asInt());

        assertEquals(a, complete("stories260K").strip());
        awaitLoaded(Set.of("stories260K:latest"));
        awaitMetric("strata_model_unloads_total{model_name=\"b\",reason=\"lru\"}", 1);
        assertEquals(2, metric("strata_model_loads_total{model_name=\"stories260K\"}")
                + metric("strata_model_loads_total{model_name=\"b\"}"), "B loaded once, A once again");
    }

    @Test
    void theLeastRecentlyUsedIdleModelMakesRoom() throws Exception {
        start(2, Duration.ofSeconds(5));
        String b = golden("stories260K-Q5_1-mix");
        assertTrue(complete("b").strip().startsWith(b.substring(0, 20)));
        complete("stories260K");        // A is now the more recently used
        awaitLoaded(Set.of("stories260K:latest", "b:latest"));
        // a third model, a file on STRATA_MODEL_PATH: B, used longest ago, is unloaded for it
        assertEquals(golden("stories260K-F16"), complete("stories260K-F16").strip());
        awaitLoaded(Set.of("stories260K:latest", "stories260K-F16:latest"));
        JsonNode tags = json(get("/api/tags"));
        List<String> listed = new ArrayList<>();
        tags.get("models").forEach(m -> listed.add(m.get("name").asText()));
        assertTrue(listed.containsAll(List.of("b:latest", "stories260K:latest", "stories260K-F16:latest")), listed.toString());
        List<String> ids = new ArrayList<>();
        json(get("/v1/models")).get("data").forEach(m -> ids.add(m.get("id").asText()));
        assertTrue(ids.containsAll(List.of("b", "stories260K", "stories260K-F16")), ids.toString());
    }

    @Test
    void concurrentFirstRequestsForAModelLoadItOnce() throws Exception {
        start(1, Duration.ofSeconds(20));
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            all.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/generate"))
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"b\",\"prompt\":\"Once upon a time\",\"raw\":true,\"stream\":false}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        String first = null;
        for (CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            String text = json(r).get("response").asText();
            first = first == null ? text : first;
            assertEquals(first, text, "every request got B's greedy text");
        }
        assertEquals(1, metric("strata_model_loads_total{model_name=\"b\"}"));
        assertEquals(1, metric("strata_model_loaded{model_name=\"b\"}"));
    }

    @Test
    void anUnknownNameIs404NamingItAndNoRequestReachesFilesOrPulls() throws Exception {
        start(1, Duration.ofSeconds(5));
        HttpResponse<String> o = post("/v1/chat/completions",
                "{\"model\":\"llama-9000\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(404, o.statusCode());
        String message = json(o).get("error").get("message").asText();
        assertTrue(message.startsWith("the model 'llama-9000' does not exist; it is not in the model store"), message);
        HttpResponse<String> g = post("/api/generate", "{\"model\":\"llama-9000\",\"prompt\":\"x\"}");
        assertEquals(404, g.statusCode());
        assertEquals("model 'llama-9000' not found", json(g).get("error").asText());
        assertEquals(404, post("/api/show", "{\"model\":\"llama-9000\"}").statusCode());
        assertEquals(404, get("/v1/models/llama-9000").statusCode());
        // a path is not a name: a client cannot make the server open files
        Path file = Path.of(System.getProperty("strata.model.path.default"), "stories260K.gguf").toAbsolutePath();
        assertEquals(404, post("/api/generate", "{\"model\":\"" + file + "\",\"prompt\":\"x\"}").statusCode());
        assertEquals(404, post("/api/generate", "{\"model\":\"..\",\"prompt\":\"x\"}").statusCode());
        assertEquals(404, post("/api/generate", "{\"model\":\"README.md\",\"prompt\":\"x\"}").statusCode(),
                "a file of the model folders that is no model");
        // a pull reference is served only once pulled; a request never pulls, and file:// is a path
        HttpResponse<String> hf = post("/api/generate", "{\"model\":\"hf://ggml-org/models/x.gguf\",\"prompt\":\"x\"}");
        assertEquals(400, hf.statusCode());
        assertTrue(json(hf).get("error").asText().contains("strata pull hf://ggml-org/models/x.gguf"), hf.body());
        assertEquals(400, post("/api/generate", "{\"model\":\"file://" + file + "\",\"prompt\":\"x\"}").statusCode());
        assertEquals(List.of("stories260K:latest"), loaded());
    }

    @Test
    void keepAliveZeroUnloadsAfterTheRequestAndWithoutAPromptUnloadsAtOnce() throws Exception {
        start(2, Duration.ofSeconds(5));
        JsonNode g = json(post("/api/generate", "{\"model\":\"b\",\"prompt\":\"Once upon a time\",\"stream\":false,"
                + "\"keep_alive\":0}"));
        assertTrue(g.get("done").asBoolean(), g.toString());
        awaitLoaded(Set.of("stories260K:latest"));
        awaitMetric("strata_model_unloads_total{model_name=\"b\",reason=\"keep_alive\"}", 1);

        // an empty prompt loads (for the default 5 minutes); keep_alive 0 without a prompt unloads
        JsonNode load = json(post("/api/generate", "{\"model\":\"b\"}"));
        assertEquals("load", load.get("done_reason").asText());
        JsonNode ps = json(get("/api/ps")).get("models");
        for (JsonNode m : ps) {
            if (m.get("name").asText().equals("b:latest")) {
                long inSeconds = Duration.between(java.time.Instant.now(),
                        java.time.Instant.parse(m.get("expires_at").asText())).toSeconds();
                assertTrue(inSeconds > 280 && inSeconds <= 300, "b expires in 5 minutes: " + m);
                assertEquals(256, m.get("context_length").asInt());
                assertEquals(Files.size(Path.of(System.getProperty("strata.model.path.default"), "derived",
                        "stories260K-Q5_1-mix.gguf")), m.get("size").asLong());
            } else {
                assertEquals("2318-01-01T00:00:00Z", m.get("expires_at").asText(), "the server's own model stays");
            }
        }
        assertEquals(2, ps.size(), ps.toString());
        JsonNode unload = json(post("/api/chat", "{\"model\":\"b\",\"messages\":[],\"keep_alive\":0}"));
        assertEquals("unload", unload.get("done_reason").asText());
        awaitLoaded(Set.of("stories260K:latest"));
        // the same for the server's own model; then it loads again on the next request
        assertEquals("unload", json(post("/api/generate", "{\"model\":\"stories260K\",\"keep_alive\":\"0s\"}"))
                .get("done_reason").asText());
        awaitLoaded(Set.of());
        assertEquals(200, get("/ready").statusCode(), "no model loaded is ready: the next request loads one");
        assertEquals(golden("stories260K"), complete("stories260K").strip());
        assertEquals(400, post("/api/generate", "{\"model\":\"b\",\"keep_alive\":\"soon\"}").statusCode());
    }

    @Test
    void aModelWithARequestRunningIsNeverUnloadedUnderItTheNextWaitsOrGets503() throws Exception {
        start(1, Duration.ofMillis(1500));
        // a request of A in flight (held as every request holds its model, from arrival to the response's end)
        ModelLease running = pool.acquire("stories260K", null).toCompletableFuture().get(10, TimeUnit.SECONDS);
        HttpResponse<String> refused = post("/v1/completions", "{\"model\":\"b\",\"prompt\":\"Once\"}");
        assertEquals(503, refused.statusCode(), refused.body());
        String why = json(refused).get("error").get("message").asText();
        assertTrue(why.contains("cannot load model 'b'") && why.contains("stories260K") && why.contains("--max-loaded-models"),
                why);
        assertEquals(List.of("stories260K:latest"), loaded());

        // the same request waits while A's request ends, then B replaces A
        CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/v1/completions")).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"b\",\"prompt\":\"Once upon a time\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        assertFalse(waiting.isDone(), "it waits for room");
        running.release();
        HttpResponse<String> r = waiting.get(30, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        awaitLoaded(Set.of("b:latest"));
    }
}
