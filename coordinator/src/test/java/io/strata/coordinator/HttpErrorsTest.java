package io.strata.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.coordinator.api.JsonRequest;
import io.strata.worker.scheduler.SchedulerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every way a request can be wrong gets the right status and a message naming the problem; the server goes on. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HttpErrorsTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer(new SchedulerConfig(4, 256, 64, 64, 2), ServerConfig.defaults().withMaxBodyBytes(64 * 1024));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode error(HttpResponse<String> r) throws Exception {
        return JsonRequest.MAPPER.readTree(r.body()).get("error");
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', value = {
            "/v1/completions|{\"model\":\"stories260K\",\"prompt\":\"x\"|not valid JSON",
            "/v1/completions|[1,2]|must be a JSON object",
            "/v1/completions|{\"model\":\"stories260K\",\"prompt\":\"x\",\"max_tokens\":\"ten\"}|'max_tokens' must be an integer, got a string",
            "/v1/completions|{\"model\":\"stories260K\",\"prompt\":\"x\",\"temperature\":5}|'temperature' must be between 0 and 2",
            "/v1/completions|{\"model\":\"stories260K\"}|'prompt' is required",
            "/v1/completions|{\"prompt\":\"x\"}|'model' is required",
            "/v1/completions|{\"model\":\"stories260K\",\"prompt\":[1,99999]}|'prompt[1]' must be a token id",
            "/v1/completions|{\"model\":\"stories260K\",\"prompt\":\"x\",\"stop\":[\"a\",3]}|'stop[1]' must be a string",
            "/v1/completions|{\"model\":\"stories260K\",\"prompt\":\"x\",\"stream_options\":{\"include_usage\":true}}|only allowed when 'stream' is true",
            "/v1/chat/completions|{\"model\":\"stories260K\",\"messages\":[]}|'messages' must contain at least one message",
            "/v1/chat/completions|{\"model\":\"stories260K\",\"messages\":\"hi\"}|'messages' must be an array",
            "/v1/chat/completions|{\"model\":\"stories260K\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}|'messages[0].role' must be one of",
            "/v1/chat/completions|{\"model\":\"stories260K\",\"messages\":[{\"content\":\"x\"}]}|'messages[0].role' is required",
            "/v1/chat/completions|{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":5}]}|'messages[0].content' must be a string or an array",
            "/v1/chat/completions|{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}|'image_url' is not supported",
            "/v1/chat/completions|{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_logprobs\":3}|needs 'logprobs': true",
            "/api/generate|{\"model\":\"stories260K\",\"prompt\":\"x\",\"options\":{\"num_predict\":\"many\"}}|'options.num_predict' must be an integer",
            "/api/chat|{\"model\":\"stories260K\",\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"images\":[\"aGk=\"]}]}|images are not supported",
    })
    void aBadBodyIs400NamingTheField(String path, String body, String expected) throws Exception {
        HttpResponse<String> r = server.post(path, body);
        assertEquals(400, r.statusCode(), r.body());
        String message = path.startsWith("/api/") ? JsonRequest.MAPPER.readTree(r.body()).get("error").asText()
                : error(r).get("message").asText();
        assertTrue(message.contains(expected), message);
        if (!path.startsWith("/api/")) {
            assertEquals("invalid_request_error", error(r).get("type").asText());
        }
    }

    @Test
    void invalidUtf8Is400() throws Exception {
        byte[] body = "{\"model\":\"stories260K\",\"prompt\":\"\u00ff\u00ff\"}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        HttpResponse<String> r = server.postBytes("/v1/completions", body);
        assertEquals(400, r.statusCode());
        assertTrue(error(r).get("message").asText().contains("not valid UTF-8"), r.body());
    }

    @Test
    void anUnknownModelIs404InBothApis() throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions",
                "{\"model\":\"llama-9000\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(404, r.statusCode());
        assertTrue(error(r).get("message").asText().contains("llama-9000"));
        HttpResponse<String> o = server.post("/api/generate", "{\"model\":\"llama-9000\",\"prompt\":\"x\"}");
        assertEquals(404, o.statusCode());
        assertEquals("model 'llama-9000' not found", JsonRequest.MAPPER.readTree(o.body()).get("error").asText());
        assertEquals(404, server.get("/v1/models/llama-9000").statusCode());
        assertEquals(404, server.get("/v2/nothing").statusCode());
    }

    @Test
    void aPromptPlusMaxTokensBeyondTheContextIs400NamingBothNumbers() throws Exception {
        HttpResponse<String> r = server.post("/v1/completions",
                "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":300}");
        assertEquals(400, r.statusCode());
        String m = error(r).get("message").asText();
        assertTrue(m.contains("256") && m.contains("305") && m.contains("5 in the prompt") && m.contains("300"), m);
        assertEquals("context_length_exceeded", error(r).get("code").asText());
    }

    @Test
    void aBodyOverTheLimitIs413() throws Exception {
        String big = "{\"model\":\"stories260K\",\"prompt\":\"" + "a".repeat(100_000) + "\"}";
        HttpResponse<String> r = server.post("/v1/completions", big);
        assertEquals(413, r.statusCode());
        assertTrue(error(r).get("message").asText().contains("65536"), r.body());
    }

    @Test
    void theServerStillAnswersAfterBadRequests() throws Exception {
        for (int i = 0; i < 20; i++) {
            server.post("/v1/completions", "{\"model\":");
        }
        HttpResponse<String> r = server.post("/v1/completions",
                "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":5,\"temperature\":0}");
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void withApiKeysARequestWithoutTheKeyIs401AndWithItSucceeds() throws Exception {
        try (TestServer s = new TestServer(new SchedulerConfig(2, 128, 32, 8, 1),
                ServerConfig.defaults().withApiKeys(Set.of("sekret")))) {
            String body = "{\"model\":\"stories260K\",\"prompt\":\"Hi\",\"max_tokens\":2}";
            HttpResponse<String> no = s.post("/v1/completions", body);
            assertEquals(401, no.statusCode());
            assertEquals("authentication_error", JsonRequest.MAPPER.readTree(no.body()).get("error").get("type").asText());
            HttpResponse<String> wrong = s.http.send(HttpRequest.newBuilder(URI.create(s.url("/v1/completions")))
                    .header("Authorization", "Bearer nope").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, wrong.statusCode());
            HttpResponse<String> ok = s.http.send(HttpRequest.newBuilder(URI.create(s.url("/v1/completions")))
                    .header("Authorization", "Bearer sekret").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(200, s.get("/health").statusCode(), "probes need no key");
        }
    }

    @Test
    void aFullQueueIs429WithRetryAfter() throws Exception {
        // one slot, no queue: while one long request runs, the next is refused
        try (TestServer s = new TestServer(new SchedulerConfig(1, 512, 32, 0, 1), ServerConfig.defaults())) {
            String longBody = "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":400,\"stream\":true,\"seed\":1}";
            var inFlight = s.http.sendAsync(HttpRequest.newBuilder(URI.create(s.url("/v1/completions")))
                    .POST(HttpRequest.BodyPublishers.ofString(longBody)).build(), HttpResponse.BodyHandlers.ofInputStream()).get();
            inFlight.body().read(); // it is streaming: the slot is taken
            HttpResponse<String> r = s.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Hi\",\"max_tokens\":2}");
            assertEquals(429, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Retry-After").isPresent());
            assertEquals("rate_limit_error", error(r).get("type").asText());
            inFlight.body().close();
        }
    }
}
