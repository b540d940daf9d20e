package io.strata.coordinator;

import io.strata.coordinator.api.JsonRequest;
import io.strata.worker.scheduler.SchedulerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Continuous batching seen from clients: many streams at once, each as if alone; a client that leaves is dropped. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
    private static final String[] PROMPTS = {"Once upon a time", "The little dog", "Lily wanted to", "One day, a big",
            "Tom and Sue went", "The sun was", "A girl named", "In the park"};

    @Test
    void thirtyTwoConcurrentStreamingGreedyRequestsEachReturnWhatTheyReturnAlone() throws Exception {
        // 16 slots: 32 requests mean a queue too; a budget of 24 tokens makes prompts share steps with decodes
        try (TestServer s = new TestServer(new SchedulerConfig(16, 256, 24, 64, 2), ServerConfig.defaults())) {
            int n = 32;
            String[] alone = new String[n];
            String[] bodies = new String[n];
            for (int i = 0; i < n; i++) {
                String prompt = PROMPTS[i % PROMPTS.length] + (i >= PROMPTS.length ? " " + "and then".repeat(i / PROMPTS.length) : "");
                int max = 24 + (i % 5) * 7;
                bodies[i] = "{\"model\":\"stories260K\",\"prompt\":\"" + prompt + "\",\"max_tokens\":" + max
                        + ",\"temperature\":0,\"stream\":true}";
                // alone: the same request through the same server, one at a time
                alone[i] = text(s.post("/v1/completions", bodies[i]).body());
                assertEquals(s.greedyAlone(prompt, max), alone[i], "request " + i + " alone equals the engine's own run");
            }
            List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(s.http.sendAsync(HttpRequest.newBuilder(URI.create(s.url("/v1/completions")))
                        .POST(HttpRequest.BodyPublishers.ofString(bodies[i])).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < n; i++) {
                assertEquals(alone[i], text(futures.get(i).get(120, TimeUnit.SECONDS).body()), "request " + i + " among 32");
            }
        }
    }

    private static String text(String sse) throws Exception {
        StringBuilder out = new StringBuilder();
        for (String event : StreamingTest.sseData(sse)) {
            if (!event.equals("[DONE]")) {
                out.append(JsonRequest.MAPPER.readTree(event).get("choices").get(0).get("text").asText());
            }
        }
        return out.toString();
    }

    @Test
    void aClientThatDisconnectsHasItsRequestCancelledAndItsCacheFreed() throws Exception {
        try (TestServer s = new TestServer(new SchedulerConfig(2, 1024, 64, 8, 1), ServerConfig.defaults())) {
            String body = "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":1000,\"stream\":true,"
                    + "\"seed\":3,\"temperature\":1.5}";
            HttpResponse<InputStream> r = s.http.send(HttpRequest.newBuilder(URI.create(s.url("/v1/completions")))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
            InputStream in = r.body();
            in.readNBytes(600); // a few chunks: it is generating
            assertEquals(1, s.engine.stats().running());
            assertTrue(s.engine.stats().kvCacheUsage() > 0);
            in.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (s.engine.stats().running() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, s.engine.stats().running(), "the sequence left the batch");
            assertEquals(0.0, s.engine.stats().kvCacheUsage(), "its KV cache is free");
            String series = "strata_request_success_total{finished_reason=\"abort\",model_name=\"stories260K\"} 1.0";
            String metrics = "";
            while (!(metrics = s.get("/metrics").body()).contains(series) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(metrics.contains(series), "the request counts as aborted: "
                    + metrics.lines().filter(l -> l.startsWith("strata_request")).toList());
        }
    }
}
