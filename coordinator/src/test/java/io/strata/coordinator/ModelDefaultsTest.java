package io.strata.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.strata.coordinator.api.JsonRequest;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.modelfile.ModelCreator;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.modelfile.ModelfileParser;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import io.strata.worker.engine.EngineOverloadedException;
import io.strata.worker.engine.EngineStats;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.InferenceEngine;
import io.strata.worker.engine.Submission;
import io.strata.worker.scheduler.SchedulerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stored model's Modelfile defaults through real HTTP, on both APIs: each PARAMETER is what the engine receives
 * when a request leaves the field out, and the request's value when it sends one; SYSTEM, MESSAGE and TEMPLATE shape
 * the prompt as Ollama's server does; /api/show reports them. The engine is the real scheduler, wrapped to record
 * each request it is given.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ModelDefaultsTest {
    static final String MODELFILE = """
            FROM stories260K.gguf
            PARAMETER temperature 0.25
            PARAMETER top_k 7
            PARAMETER top_p 0.5
            PARAMETER min_p 0.125
            PARAMETER seed 42
            PARAMETER repeat_penalty 1.5
            PARAMETER repeat_last_n 16
            PARAMETER presence_penalty 0.25
            PARAMETER frequency_penalty 0.5
            PARAMETER num_predict 9
            PARAMETER stop Lily
            PARAMETER stop park
            SYSTEM You tell stories.
            MESSAGE user Hi
            MESSAGE assistant Hello
            TEMPLATE "{{ range .Messages }}[{{ .Role }}] {{ .Content }} {{ end }}[assistant]"
            LICENSE "Use it kindly."
            """;
    /** What the model's parameters make of a request that sends none (Strata's own logprobs count aside). */
    static final SamplingParams MODEL_SAMPLING = new SamplingParams(0.25f, 7, 0.5f, 0.125f, 1.5f, 0.5f, 0.25f, 16, 42, 0);
    /** A request that sends every field, with values unlike the model's. */
    static final SamplingParams REQUEST_SAMPLING = new SamplingParams(0.75f, 3, 0.875f, 0.0625f, 1.25f, 0.125f, 0.375f,
            16, 7, 0);

    static Path home;
    static TestServer server;
    static final List<GenerationRequest> seen = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        home = Files.createTempDirectory("strata-defaults");
        ModelStore store = ModelStore.inHome(home);
        ModelLocator locator = new ModelLocator(store, ModelLocator.fromEnvironment().roots());
        new ModelCreator(store, locator, line -> { }).create(ModelName.parse("tuned"),
                ModelfileParser.parse(MODELFILE, home));
        ModelDefaults defaults = ModelDefaults.of(locator, locator.resolve("tuned"));
        server = new TestServer(new SchedulerConfig(4, 256, 64, 64, 2), ServerConfig.defaults(), "tuned", defaults,
                Recording::new);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        try (var files = Files.walk(home)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The real engine; every request it is given is kept. */
    static final class Recording implements InferenceEngine {
        final InferenceEngine real;

        Recording(InferenceEngine real) {
            this.real = real;
        }

        @Override public int contextSize() { return real.contextSize(); }

        @Override public int vocabSize() { return real.vocabSize(); }

        @Override public EngineStats stats() { return real.stats(); }

        @Override public void close() { real.close(); }

        @Override
        public Submission submit(GenerationRequest r, GenerationListener l) throws EngineOverloadedException {
            synchronized (seen) {
                seen.add(r);
            }
            return real.submit(r, l);
        }
    }

    /** Posts and returns the body of a 200 response, and the request the engine was given for it. */
    static Exchange post(String path, String body) throws Exception {
        synchronized (seen) {
            seen.clear();
        }
        HttpResponse<String> r = server.post(path, body);
        assertEquals(200, r.statusCode(), r.body());
        synchronized (seen) {
            assertEquals(1, seen.size(), "one generation per request");
            return new Exchange(JsonRequest.MAPPER.readTree(r.body()), seen.getFirst());
        }
    }

    record Exchange(JsonNode body, GenerationRequest request) {}

    private static int[] chatTokens(String rendered) {
        return server.served.tokenizeChat(rendered);
    }

    // ---- parameters

    @Test
    void aCompletionWithoutSamplingFieldsGetsTheModelsParametersAndNumPredict() throws Exception {
        Exchange e = post("/v1/completions", "{\"model\":\"tuned\",\"prompt\":\"Once upon a time\"}");
        assertEquals(MODEL_SAMPLING, e.request().sampling());
        assertEquals(9, e.request().maxTokens());
    }

    @Test
    void aCompletionsOwnFieldsOverrideEveryParameter() throws Exception {
        Exchange e = post("/v1/completions", "{\"model\":\"tuned\",\"prompt\":\"Once upon a time\",\"temperature\":0.75,"
                + "\"top_k\":3,\"top_p\":0.875,\"min_p\":0.0625,\"repetition_penalty\":1.25,\"frequency_penalty\":0.125,"
                + "\"presence_penalty\":0.375,\"seed\":7,\"max_tokens\":5}");
        assertEquals(REQUEST_SAMPLING, e.request().sampling());
        assertEquals(5, e.request().maxTokens());
    }

    @Test
    void theModelsStopStringsEndTheGreedyTextAndARequestsStopReplacesThem() throws Exception {
        String neutral = "\"temperature\":0,\"repetition_penalty\":1,\"frequency_penalty\":0,\"presence_penalty\":0,"
                + "\"max_tokens\":30";
        String greedy = server.greedyAlone("Once upon a time", 30);
        assertTrue(greedy.contains("Lily"), greedy);
        JsonNode stopped = post("/v1/completions", "{\"model\":\"tuned\",\"prompt\":\"Once upon a time\"," + neutral + "}")
                .body().get("choices").get(0);
        assertEquals(greedy.substring(0, greedy.indexOf("Lily")), stopped.get("text").asText());
        assertEquals("stop", stopped.get("finish_reason").asText());
        JsonNode own = post("/v1/completions", "{\"model\":\"tuned\",\"prompt\":\"Once upon a time\"," + neutral
                + ",\"stop\":[]}").body().get("choices").get(0);
        assertEquals(greedy, own.get("text").asText());
        assertEquals("length", own.get("finish_reason").asText());
        JsonNode ollama = post("/api/generate", "{\"model\":\"tuned\",\"prompt\":\"Once upon a time\",\"raw\":true,"
                + "\"stream\":false,\"options\":{\"temperature\":0,\"repeat_penalty\":1,\"frequency_penalty\":0,"
                + "\"presence_penalty\":0,\"num_predict\":30}}").body();
        assertEquals(greedy.substring(0, greedy.indexOf("Lily")), ollama.get("response").asText());
    }

    @Test
    void ollamaOptionsLeftOutAreTheModelsAndGivenOnesWin() throws Exception {
        Exchange d = post("/api/generate", "{\"model\":\"tuned\",\"prompt\":\"Once upon a time\",\"raw\":true,"
                + "\"stream\":false}");
        assertEquals(MODEL_SAMPLING, d.request().sampling());
        assertEquals(9, d.request().maxTokens());
        Exchange o = post("/api/generate", "{\"model\":\"tuned\",\"prompt\":\"Once upon a time\",\"raw\":true,"
                + "\"stream\":false,\"options\":{\"temperature\":0.75,\"top_k\":3,\"top_p\":0.875,\"min_p\":0.0625,"
                + "\"repeat_penalty\":1.25,\"frequency_penalty\":0.125,\"presence_penalty\":0.375,\"seed\":7,"
                + "\"repeat_last_n\":16,\"num_predict\":5}}");
        assertEquals(REQUEST_SAMPLING, o.request().sampling());
        assertEquals(5, o.request().maxTokens());
        Exchange window = post("/api/generate", "{\"model\":\"tuned\",\"prompt\":\"Once upon a time\",\"raw\":true,"
                + "\"stream\":false,\"options\":{\"repeat_last_n\":4}}");
        assertEquals(MODEL_SAMPLING.withPenalties(1.5f, 0.5f, 0.25f, 4), window.request().sampling());
    }

    // ---- template, system prompt, messages

    @Test
    void aChatCompletionIsRenderedByTheModelsTemplateWithItsSystemPromptAndMessages() throws Exception {
        Exchange e = post("/v1/chat/completions", "{\"model\":\"tuned\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Tell me a story.\"}]}");
        assertArrayEquals(chatTokens("[system] You tell stories. [user] Hi [assistant] Hello [user] Tell me a story. "
                + "[assistant]"), e.request().prompt());
        assertEquals(9, e.request().maxTokens(), "num_predict also bounds a chat completion");
        Exchange own = post("/v1/chat/completions", "{\"model\":\"tuned\",\"messages\":[{\"role\":\"system\","
                + "\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Tell me a story.\"}]}");
        assertArrayEquals(chatTokens("[user] Hi [assistant] Hello [system] Be brief. [user] Tell me a story. "
                + "[assistant]"), own.request().prompt(), "the request's system message replaces the model's");
    }

    @Test
    void theOfficialOpenAiClientSeesTheTemplatedPromptsTokenCount() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(server.url("/v1")).apiKey("unused")
                .maxRetries(0).build();
        try {
            ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("tuned")
                    .addUserMessage("Tell me a story.").temperature(0.0).build());
            assertEquals(chatTokens("[system] You tell stories. [user] Hi [assistant] Hello [user] Tell me a story. "
                    + "[assistant]").length, c.usage().orElseThrow().promptTokens());
            assertTrue(c.usage().orElseThrow().completionTokens() <= 9);
        } finally {
            client.close();
        }
    }

    @Test
    void anOllamaChatUsesTheTemplateSystemPromptAndMessagesAndItsOwnSystemReplacesThem() throws Exception {
        Exchange e = post("/api/chat", "{\"model\":\"tuned\",\"stream\":false,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Tell me a story.\"}]}");
        int[] expected = chatTokens("[system] You tell stories. [user] Hi [assistant] Hello [user] Tell me a story. "
                + "[assistant]");
        assertArrayEquals(expected, e.request().prompt());
        assertEquals(expected.length, e.body().get("prompt_eval_count").asInt());
        Exchange own = post("/api/chat", "{\"model\":\"tuned\",\"stream\":false,\"messages\":[{\"role\":\"system\","
                + "\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Tell me a story.\"}]}");
        assertArrayEquals(chatTokens("[user] Hi [assistant] Hello [system] Be brief. [user] Tell me a story. "
                + "[assistant]"), own.request().prompt());
    }

    @Test
    void anOllamaGenerateUsesTheModelsSystemUnlessTheRequestGivesOneAndRawSkipsTheTemplate() throws Exception {
        Exchange e = post("/api/generate", "{\"model\":\"tuned\",\"stream\":false,\"prompt\":\"Tell me a story.\"}");
        assertArrayEquals(chatTokens("[system] You tell stories. [user] Hi [assistant] Hello [user] Tell me a story. "
                + "[assistant]"), e.request().prompt());
        Exchange own = post("/api/generate", "{\"model\":\"tuned\",\"stream\":false,\"prompt\":\"Tell me a story.\","
                + "\"system\":\"Be brief.\"}");
        assertArrayEquals(chatTokens("[system] Be brief. [user] Hi [assistant] Hello [user] Tell me a story. "
                + "[assistant]"), own.request().prompt());
        Exchange raw = post("/api/generate", "{\"model\":\"tuned\",\"stream\":false,\"prompt\":\"Tell me a story.\","
                + "\"raw\":true}");
        assertArrayEquals(server.served.tokenizePrompt("Tell me a story."), raw.request().prompt());
    }

    @Test
    void aPlainCompletionIsNotTemplated() throws Exception {
        Exchange e = post("/v1/completions", "{\"model\":\"tuned\",\"prompt\":\"Tell me a story.\"}");
        assertArrayEquals(server.served.tokenizePrompt("Tell me a story."), e.request().prompt());
    }

    // ---- /api/show

    @Test
    void showReportsTheStoredParametersTemplateSystemMessagesAndLicense() throws Exception {
        HttpResponse<String> r = server.post("/api/show", "{\"model\":\"tuned\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode s = JsonRequest.MAPPER.readTree(r.body());
        assertEquals("{{ range .Messages }}[{{ .Role }}] {{ .Content }} {{ end }}[assistant]", s.get("template").asText());
        assertEquals("You tell stories.", s.get("system").asText());
        assertEquals("Use it kindly.", s.get("license").asText());
        String params = s.get("parameters").asText();
        assertTrue(params.contains(String.format("%-30s %s", "temperature", "0.25")), params);
        assertTrue(params.contains(String.format("%-30s %s", "num_predict", "9")), params);
        assertTrue(params.contains(String.format("%-30s %s", "stop", "\"Lily\"")), params);
        assertTrue(params.contains(String.format("%-30s %s", "stop", "\"park\"")), params);
        assertEquals(12, params.lines().count(), params);
        assertEquals("user", s.get("messages").get(0).get("role").asText());
        assertEquals("Hello", s.get("messages").get(1).get("content").asText());
        String modelfile = s.get("modelfile").asText();
        assertTrue(modelfile.contains("PARAMETER top_k 7") && modelfile.contains("SYSTEM \"\"\"You tell stories.\"\"\"")
                && modelfile.contains("MESSAGE assistant \"\"\"Hello\"\"\""), modelfile);
        assertFalse(s.get("model_info").isEmpty());
    }
}
