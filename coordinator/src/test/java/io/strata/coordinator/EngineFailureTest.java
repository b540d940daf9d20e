package io.strata.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.coordinator.api.JsonRequest;
import io.strata.inference.LocalModel;
import io.strata.model.store.ModelLocator;
import io.strata.worker.engine.EngineStats;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.InferenceEngine;
import io.strata.worker.engine.Submission;
import io.strata.worker.scheduler.ContinuousBatchScheduler;
import io.strata.worker.scheduler.SchedulerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When the engine fails a request, or is gone, the client gets a 500 or 503 it can act on, in-band once streaming. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EngineFailureTest {
    /** The real engine, except that requests after the first N tokens fail, as a broken forward pass would. */
    static final class FailingAfter implements InferenceEngine {
        final ContinuousBatchScheduler real;
        final int tokens;

        FailingAfter(ContinuousBatchScheduler real, int tokens) {
            this.real = real;
            this.tokens = tokens;
        }

        @Override public int contextSize() { return real.contextSize(); }

        @Override public int vocabSize() { return real.vocabSize(); }

        @Override public EngineStats stats() { return real.stats(); }

        @Override public void close() { real.close(); }

        @Override
        public Submission submit(GenerationRequest r, GenerationListener l) throws io.strata.worker.engine.EngineOverloadedException {
            int[] seen = {0};
            Submission[] inner = new Submission[1];
            inner[0] = real.submit(r, new GenerationListener() {
                boolean failed;

                @Override public void onScheduled(long q) { l.onScheduled(q); }

                @Override public void onToken(int token, io.strata.worker.engine.TokenChoice lp) {
                    if (failed) {
                        return;
                    }
                    if (++seen[0] > tokens) {
                        failed = true;
                        l.onFailed("injected failure: the forward pass threw");
                        inner[0].cancel();
                        return;
                    }
                    l.onToken(token, lp);
                }

                @Override public void onFinished(io.strata.worker.engine.FinishReason why, int p, int g) {
                    if (!failed) {
                        l.onFinished(why, p, g);
                    }
                }

                @Override public void onFailed(String m) { l.onFailed(m); }
            });
            return inner[0];
        }
    }

    @Test
    void aFailedGenerationIs500AndInBandOnceStreaming() throws Exception {
        Path path = ModelLocator.fromEnvironment().locate("stories260K.gguf");
        try (LocalModel m = LocalModel.open(path)) {
            ContinuousBatchScheduler real = new ContinuousBatchScheduler(m, new SchedulerConfig(2, 256, 32, 8, 1));
            InferenceEngine engine = new FailingAfter(real, 3);
            try (HttpApiServer server = HttpApiServer.start(new ServedModel("stories260K", path, m, engine),
                    ServerConfig.defaults().withPort(0))) {
                HttpClient http = HttpClient.newHttpClient();
                String url = "http://127.0.0.1:" + server.port();
                HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories260K\",\"prompt\":\"Once\",\"max_tokens\":10}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(500, plain.statusCode(), plain.body());
                JsonNode err = JsonRequest.MAPPER.readTree(plain.body()).get("error");
                assertTrue(err.get("message").asText().contains("injected failure"), plain.body());
                assertEquals("api_error", err.get("type").asText());

                HttpResponse<String> stream = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories260K\",\"prompt\":\"Once\",\"max_tokens\":10,\"stream\":true}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, stream.statusCode(), "the head went out before the failure");
                assertTrue(stream.body().contains("data: {\"error\":{\"message\":\"injected failure"), stream.body());
                assertTrue(stream.body().endsWith("data: [DONE]\n\n"), stream.body());

                HttpResponse<String> ollama = http.send(HttpRequest.newBuilder(URI.create(url + "/api/generate"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories260K\",\"prompt\":\"Once\"}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                String last = ollama.body().strip().lines().reduce((a, b) -> b).orElse("");
                assertTrue(last.startsWith("{\"error\":\"injected failure"), ollama.body());

                real.close();
                HttpResponse<String> gone = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories260K\",\"prompt\":\"Once\",\"max_tokens\":2}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(503, gone.statusCode(), gone.body());
                assertTrue(gone.headers().firstValue("Retry-After").isPresent());
            }
        }
    }
}
