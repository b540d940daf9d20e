package io.strata.coordinator;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import io.strata.model.chat.ChatMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The official OpenAI Java SDK against a real server: what an OpenAI user's code sees. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpenAiClientTest {
    static TestServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        server = TestServer.standard();
        client = OpenAIOkHttpClient.builder().baseUrl(server.url("/v1")).apiKey("unused").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    @Test
    void aGreedyCompletionReturnsTheEnginesTokensAndUsage() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("stories260K")
                .prompt("Once upon a time").maxTokens(40).temperature(0.0).build());
        assertEquals(server.greedyAlone("Once upon a time", 40), c.choices().get(0).text());
        assertEquals("length", c.choices().get(0).finishReason().asString());
        assertEquals(5, c.usage().orElseThrow().promptTokens());
        assertEquals(40, c.usage().orElseThrow().completionTokens());
        assertTrue(c.id().startsWith("cmpl-"));
    }

    @Test
    void aChatCompletionRendersTheTemplateAndReturnsTheGreedyReply() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("stories260K")
                .addSystemMessage("You tell stories.").addUserMessage("Tell me about a cat.")
                .maxCompletionTokens(30).temperature(0.0).build());
        String rendered = server.served.renderChat(List.of(new ChatMessage("system", "You tell stories."),
                new ChatMessage("user", "Tell me about a cat.")));
        String expected = server.greedyAlone(server.served.tokenizeChat(rendered), 30);
        assertEquals(expected, c.choices().get(0).message().content().orElse(""));
        assertEquals(30, c.usage().orElseThrow().completionTokens());
    }

    @Test
    void aStreamedChatGivesTheSameTextAsTheUnstreamedOneAndEndsWithUsage() {
        ChatCompletionCreateParams plain = ChatCompletionCreateParams.builder().model("stories260K")
                .addUserMessage("Once upon a time").maxCompletionTokens(25).temperature(0.0).build();
        ChatCompletionCreateParams params = plain.toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        String whole = client.chat().completions().create(plain).choices().get(0).message().content().orElse("");
        StringBuilder streamed = new StringBuilder();
        long[] usage = {-1};
        String[] finish = {null};
        int[] chunks = {0};
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(chunk -> {
                chunks[0]++;
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
                for (ChatCompletionChunk.Choice ch : chunk.choices()) {
                    ch.delta().content().ifPresent(streamed::append);
                    ch.finishReason().ifPresent(f -> finish[0] = f.asString());
                }
            });
        }
        assertEquals(whole, streamed.toString());
        assertEquals("length", finish[0]);
        assertEquals(25, usage[0]);
        assertTrue(chunks[0] > 5, "tokens arrive as separate chunks, got " + chunks[0]);
    }

    @Test
    void theModelListNamesTheServedModel() {
        List<Model> models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals("stories260K", models.get(0).id());
        assertEquals("stories260K", client.models().retrieve("stories260K").id());
    }

    @Test
    void anUnknownModelIsANotFoundErrorAndATooLongRequestABadRequest() {
        NotFoundException nf = assertThrows(NotFoundException.class, () -> client.completions().create(
                CompletionCreateParams.builder().model("gpt-9").prompt("x").maxTokens(2).build()));
        assertTrue(nf.getMessage().contains("gpt-9"), nf.getMessage());
        BadRequestException br = assertThrows(BadRequestException.class, () -> client.completions().create(
                CompletionCreateParams.builder().model("stories260K").prompt("Once upon a time").maxTokens(1000).build()));
        assertTrue(br.getMessage().contains("256") && br.getMessage().contains("1000"), br.getMessage());
    }
}
