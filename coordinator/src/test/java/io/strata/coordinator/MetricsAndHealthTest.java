package io.strata.coordinator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsAndHealthTest {
    /** The names dashboards depend on (docs/METRICS.md). */
    static final String[] NAMES = {"strata_request_success_total", "strata_request_errors_total",
            "strata_time_to_first_token_seconds_bucket", "strata_inter_token_latency_seconds_bucket",
            "strata_e2e_request_latency_seconds_bucket", "strata_request_queue_time_seconds_bucket",
            "strata_prompt_tokens_total", "strata_generation_tokens_total", "strata_num_requests_running",
            "strata_num_requests_waiting", "strata_kv_cache_usage_ratio", "jvm_memory_used_bytes"};

    @Test
    void afterRequestsEveryDocumentedMetricIsExposedWithItsCounts() throws Exception {
        try (TestServer s = TestServer.standard()) {
            assertEquals(200, s.post("/v1/completions", "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\","
                    + "\"max_tokens\":7,\"temperature\":0}").statusCode());
            assertEquals(400, s.post("/v1/completions", "{\"model\":").statusCode());
            HttpResponse<String> m = s.get("/metrics");
            assertEquals(200, m.statusCode());
            assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            String text = m.body();
            for (String name : NAMES) {
                assertTrue(text.contains("\n" + name), "missing " + name);
            }
            assertTrue(text.contains("strata_generation_tokens_total{model_name=\"stories260K\"} 7.0"), text);
            assertTrue(text.contains("strata_prompt_tokens_total{model_name=\"stories260K\"} 5.0"), text);
            assertTrue(text.contains("code=\"400\""), text);
        }
    }

    @Test
    void healthIsAliveAndReadyFollowsARealGeneration() throws Exception {
        try (TestServer s = TestServer.standard()) {
            assertEquals(200, s.get("/health").statusCode());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int status = 0;
            while (System.nanoTime() < deadline && (status = s.get("/ready").statusCode()) != 200) {
                Thread.sleep(50);
            }
            assertEquals(200, status, "the probe generation made the server ready");
            assertEquals("Ollama is running", s.get("/").body());
        }
    }
}
