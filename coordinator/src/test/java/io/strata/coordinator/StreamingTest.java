package io.strata.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.coordinator.api.JsonRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exact wire framing of SSE and NDJSON, and stop strings that span several tokens. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamingTest {
    static TestServer server;
    static final String PROMPT = "Once upon a time";

    @BeforeAll
    static void start() {
        server = TestServer.standard();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The data payloads of an SSE body, checking the framing: every event is one data line and a blank line. */
    static List<String> sseData(String body) {
        assertTrue(body.endsWith("data: [DONE]\n\n"), "the stream ends with data: [DONE]: " + body);
        List<String> out = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            assertTrue(event.startsWith("data: ") && !event.contains("\n"), "one data line per event: " + event);
            out.add(event.substring(6));
        }
        return out;
    }

    @Test
    void aCompletionStreamIsDataLinesThenUsageThenDone() throws Exception {
        HttpResponse<String> r = server.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"" + PROMPT
                + "\",\"max_tokens\":20,\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> data = sseData(r.body());
        assertEquals("[DONE]", data.get(data.size() - 1));
        JsonNode usage = JsonRequest.MAPPER.readTree(data.get(data.size() - 2));
        assertEquals(0, usage.get("choices").size());
        assertEquals(20, usage.get("usage").get("completion_tokens").asInt());
        StringBuilder text = new StringBuilder();
        String finish = null;
        String id = null;
        for (String d : data.subList(0, data.size() - 2)) {
            JsonNode chunk = JsonRequest.MAPPER.readTree(d);
            assertEquals("text_completion", chunk.get("object").asText());
            id = id == null ? chunk.get("id").asText() : id;
            assertEquals(id, chunk.get("id").asText(), "one id for the whole stream");
            assertTrue(chunk.get("usage").isNull(), "usage is null on every chunk but the last");
            JsonNode c = chunk.get("choices").get(0);
            text.append(c.get("text").asText());
            if (!c.get("finish_reason").isNull()) {
                finish = c.get("finish_reason").asText();
            }
        }
        assertEquals(server.greedyAlone(PROMPT, 20), text.toString());
        assertEquals("length", finish);
    }

    @Test
    void anOllamaStreamIsOneJsonObjectPerLineEndingWithDone() throws Exception {
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"" + PROMPT
                + "\",\"options\":{\"temperature\":0,\"num_predict\":15}}");
        assertEquals(200, r.statusCode());
        assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.body().endsWith("}\n"));
        String[] lines = r.body().split("\n");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            JsonNode o = JsonRequest.MAPPER.readTree(lines[i]);
            assertEquals(i == lines.length - 1, o.get("done").asBoolean(), lines[i]);
            text.append(o.get("response").asText());
        }
        JsonNode last = JsonRequest.MAPPER.readTree(lines[lines.length - 1]);
        assertEquals("length", last.get("done_reason").asText());
        assertEquals(15, last.get("eval_count").asInt());
        assertEquals(5, last.get("prompt_eval_count").asInt());
        assertTrue(last.get("total_duration").asLong() > 0 && last.get("eval_duration").asLong() > 0);
        assertEquals(server.greedyAlone(PROMPT, 15), text.toString());
    }

    @Test
    void aChatStreamStartsWithTheRoleAndEndsWithAnEmptyDeltaAndTheReason() throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions", "{\"model\":\"stories260K\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":6,\"temperature\":0,\"stream\":true}");
        List<String> data = sseData(r.body());
        JsonNode first = JsonRequest.MAPPER.readTree(data.get(0));
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.get("choices").get(0).get("delta").get("role").asText());
        JsonNode last = JsonRequest.MAPPER.readTree(data.get(data.size() - 2));
        assertEquals(0, last.get("choices").get(0).get("delta").size());
        assertEquals("length", last.get("choices").get(0).get("finish_reason").asText());
        for (String d : data.subList(1, data.size() - 2)) {
            assertFalse(JsonRequest.MAPPER.readTree(d).get("choices").get(0).get("delta").has("role"));
        }
    }

    /** A stop string made of several tokens' text: the output ends just before it, streamed or not. */
    @Test
    void aStopStringSplitAcrossTokensEndsTheTextBeforeItAndNeverLeaks() throws Exception {
        String full = server.greedyAlone(PROMPT, 40);
        // ", there was a little girl named Lily..." : "girl" is the tokens " g", "ir", "l"
        String stop = "irl nam";
        int at = full.indexOf(stop);
        assertTrue(at > 0, "the reference text contains the stop string: " + full);
        String expected = full.substring(0, at);
        String req = "{\"model\":\"stories260K\",\"prompt\":\"" + PROMPT + "\",\"max_tokens\":40,\"temperature\":0,"
                + "\"stop\":[\"zzz\",\"" + stop + "\"]";
        JsonNode whole = JsonRequest.MAPPER.readTree(server.post("/v1/completions", req + "}").body());
        assertEquals(expected, whole.get("choices").get(0).get("text").asText());
        assertEquals("stop", whole.get("choices").get(0).get("finish_reason").asText());
        assertTrue(whole.get("usage").get("completion_tokens").asInt() < 40);

        StringBuilder streamed = new StringBuilder();
        for (String d : sseData(server.post("/v1/completions", req + ",\"stream\":true}").body())) {
            if (!d.equals("[DONE]")) {
                String piece = JsonRequest.MAPPER.readTree(d).get("choices").get(0).get("text").asText();
                streamed.append(piece);
                assertFalse(streamed.toString().contains("irl"), "no part of the stop string is sent: " + streamed);
            }
        }
        assertEquals(expected, streamed.toString());

        // Ollama's options.stop, streamed
        StringBuilder ollama = new StringBuilder();
        String last = null;
        for (String line : server.post("/api/generate", "{\"model\":\"stories260K\",\"prompt\":\"" + PROMPT
                + "\",\"options\":{\"temperature\":0,\"num_predict\":40,\"stop\":[\"" + stop + "\"]}}").body().split("\n")) {
            JsonNode o = JsonRequest.MAPPER.readTree(line);
            ollama.append(o.get("response").asText());
            last = line;
        }
        assertEquals(expected, ollama.toString());
        assertEquals("stop", JsonRequest.MAPPER.readTree(last).get("done_reason").asText());
    }

    @Test
    void logprobsComeWithEachTokenInBothShapes() throws Exception {
        JsonNode c = JsonRequest.MAPPER.readTree(server.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\""
                + PROMPT + "\",\"max_tokens\":5,\"temperature\":0,\"logprobs\":3}").body()).get("choices").get(0);
        JsonNode lp = c.get("logprobs");
        assertEquals(5, lp.get("tokens").size());
        assertEquals(5, lp.get("token_logprobs").size());
        assertEquals(3, lp.get("top_logprobs").get(0).size());
        assertTrue(lp.get("token_logprobs").get(0).asDouble() <= 0);
        assertEquals(c.get("text").asText(), String.join("", toList(lp.get("tokens"))));
        JsonNode chat = JsonRequest.MAPPER.readTree(server.post("/v1/chat/completions", "{\"model\":\"stories260K\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4,\"temperature\":0,"
                + "\"logprobs\":true,\"top_logprobs\":2}").body()).get("choices").get(0).get("logprobs").get("content");
        assertEquals(4, chat.size());
        assertEquals(2, chat.get(0).get("top_logprobs").size());
        // greedy: the chosen token is the most likely one
        assertEquals(chat.get(0).get("token").asText(), chat.get(0).get("top_logprobs").get(0).get("token").asText());
    }

    private static List<String> toList(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void nChoicesWithASeedDifferAndArePromptMajor() throws Exception {
        JsonNode r = JsonRequest.MAPPER.readTree(server.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":"
                + "[\"" + PROMPT + "\",\"The dog\"],\"n\":2,\"max_tokens\":12,\"seed\":42,\"temperature\":1}").body());
        JsonNode ch = r.get("choices");
        assertEquals(4, ch.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i, ch.get(i).get("index").asInt());
        }
        assertNotEquals(ch.get(0).get("text").asText(), ch.get(1).get("text").asText(), "two draws of one prompt differ");
        assertEquals(48, r.get("usage").get("completion_tokens").asInt());
        // the same seed gives the same texts again
        JsonNode again = JsonRequest.MAPPER.readTree(server.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":"
                + "[\"" + PROMPT + "\",\"The dog\"],\"n\":2,\"max_tokens\":12,\"seed\":42,\"temperature\":1}").body());
        assertEquals(ch.toString(), again.get("choices").toString());
    }

    @Test
    void echoPrependsThePrompt() throws Exception {
        JsonNode c = JsonRequest.MAPPER.readTree(server.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\""
                + PROMPT + "\",\"max_tokens\":5,\"temperature\":0,\"echo\":true}").body()).get("choices").get(0);
        assertEquals(PROMPT + server.greedyAlone(PROMPT, 5), c.get("text").asText());
    }
}
