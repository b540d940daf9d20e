package io.strata.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.coordinator.api.JsonRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ollama's model information routes, as its clients read them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OllamaInfoTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.standard();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode json(String body) throws Exception {
        return JsonRequest.MAPPER.readTree(body);
    }

    @Test
    void tagsListTheModelWithItsFileSizeAndDetails() throws Exception {
        JsonNode m = json(server.get("/api/tags").body()).get("models").get(0);
        assertEquals("stories260K:latest", m.get("name").asText());
        assertEquals(java.nio.file.Files.size(server.served.path()), m.get("size").asLong());
        assertEquals(64, m.get("digest").asText().length());
        assertEquals("gguf", m.get("details").get("format").asText());
        assertEquals("llama", m.get("details").get("family").asText());
        assertEquals("F32", m.get("details").get("quantization_level").asText());
        assertTrue(m.get("details").get("parameter_size").asText().endsWith("K"), m.toString());
    }

    @Test
    void showGivesTheGgufMetadataAndAcceptsTheOldNameField() throws Exception {
        JsonNode s = json(server.post("/api/show", "{\"name\":\"stories260K\"}").body());
        assertEquals("llama", s.get("model_info").get("general.architecture").asText());
        assertEquals(server.served.model().config().contextLength(),
                s.get("model_info").get("llama.context_length").asInt());
        assertTrue(s.get("model_info").get("tokenizer.ggml.tokens").isNull(), "token arrays only with verbose");
        JsonNode verbose = json(server.post("/api/show", "{\"model\":\"stories260K\",\"verbose\":true}").body());
        assertEquals(server.served.tokenizer().vocabulary().size(),
                verbose.get("model_info").get("tokenizer.ggml.tokens").size());
        assertEquals("completion", s.get("capabilities").get(0).asText());
        assertEquals(404, server.post("/api/show", "{\"model\":\"nope\"}").statusCode());
    }

    @Test
    void psVersionAndAnEmptyPromptThatOnlyLoads() throws Exception {
        JsonNode ps = json(server.get("/api/ps").body()).get("models").get(0);
        assertEquals(256, ps.get("context_length").asInt());
        assertTrue(json(server.get("/api/version").body()).get("version").asText().matches("\\d+\\.\\d+\\.\\d+"));
        JsonNode load = json(server.post("/api/generate", "{\"model\":\"stories260K\"}").body());
        assertEquals("load", load.get("done_reason").asText());
        assertTrue(load.get("done").asBoolean());
        // a server of one model (a cluster coordinator's) keeps it: keep_alive 0 says so rather than pretending
        var unload = server.post("/api/generate", "{\"model\":\"stories260K\",\"keep_alive\":0}");
        assertEquals(400, unload.statusCode());
        assertTrue(json(unload.body()).get("error").asText().contains("keep_alive 0 does not unload it"), unload.body());
    }

    @Test
    void numCtxCapsTheContextAndAnOversizedOneIsNamed() throws Exception {
        // a 16-token context leaves 11 tokens after the 5-token prompt
        JsonNode r = json(server.post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\","
                + "\"stream\":false,\"options\":{\"temperature\":0,\"num_ctx\":16}}").body());
        assertEquals(11, r.get("eval_count").asInt());
        assertEquals("length", r.get("done_reason").asText());
        String body = server.post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"" + "Once upon a time ".repeat(80)
                + "\",\"stream\":false,\"options\":{\"num_ctx\":100000}}").body();
        assertTrue(body.contains("num_ctx 100000 is above this server's context of 256"), body);
    }
}
