package io.strata.coordinator;

import io.github.ollama4j.Ollama;
import io.github.ollama4j.models.chat.OllamaChatMessageRole;
import io.github.ollama4j.models.chat.OllamaChatRequest;
import io.github.ollama4j.models.chat.OllamaChatResult;
import io.github.ollama4j.models.generate.OllamaGenerateRequest;
import io.github.ollama4j.models.generate.OllamaGenerateStreamObserver;
import io.github.ollama4j.models.request.ThinkMode;
import io.github.ollama4j.models.response.OllamaResult;
import io.github.ollama4j.utils.OptionsBuilder;
import io.strata.model.chat.ChatMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ollama4j, an Ollama Java client, against a real server. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OllamaClientTest {
    static TestServer server;
    static Ollama ollama;

    @BeforeAll
    static void start() {
        server = TestServer.standard();
        ollama = new Ollama(server.url(""));
        ollama.setRequestTimeoutSeconds(60);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theClientSeesTheServerAndItsModel() throws Exception {
        assertTrue(ollama.ping());
        assertEquals("stories260K:latest", ollama.listModels().get(0).getName());
    }

    @Test
    void aGreedyGenerateReturnsTheEnginesText() throws Exception {
        OllamaGenerateRequest req = OllamaGenerateRequest.builder().withModel("stories260K").withPrompt("Once upon a time")
                .withOptions(new OptionsBuilder().setTemperature(0f).setNumPredict(30).build()).withStreaming(false).withThink(ThinkMode.DISABLED).build();
        OllamaResult r = ollama.generate(req, null);
        assertEquals(server.greedyAlone("Once upon a time", 30), r.getResponse());
    }

    @Test
    void aStreamedGenerateDeliversTheSameTextPieceByPiece() throws Exception {
        StringBuilder pieces = new StringBuilder();
        int[] count = {0};
        OllamaGenerateRequest req = OllamaGenerateRequest.builder().withModel("stories260K").withPrompt("The little dog")
                .withOptions(new OptionsBuilder().setTemperature(0f).setNumPredict(30).build()).withStreaming(true).withThink(ThinkMode.DISABLED).build();
        OllamaResult r = ollama.generate(req, new OllamaGenerateStreamObserver(null, s -> {
            pieces.append(s);
            count[0]++;
        }));
        String expected = server.greedyAlone("The little dog", 30);
        assertEquals(expected, pieces.toString());
        assertEquals(expected, r.getResponse());
        assertTrue(count[0] > 5, "pieces: " + count[0]);
    }

    @Test
    void aChatReturnsTheGreedyReplyWithCounts() throws Exception {
        OllamaChatRequest req = OllamaChatRequest.builder().withModel("stories260K")
                .withMessage(OllamaChatMessageRole.USER, "Tell me a story.")
                .withOptions(new OptionsBuilder().setTemperature(0f).setNumPredict(20).build()).build();
        OllamaChatResult r = ollama.chat(req, null);
        String rendered = server.served.renderChat(List.of(new ChatMessage("user", "Tell me a story.")));
        assertEquals(server.greedyAlone(server.served.tokenizeChat(rendered), 20), r.getResponseModel().getMessage().getResponse());
        assertEquals(20, r.getResponseModel().getEvalCount());
        assertEquals("length", r.getResponseModel().getDoneReason());
    }
}
