package io.strata.coordinator.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.strata.worker.engine.EngineStats;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/**
 * The serving metrics, named after vLLM's with a {@code strata_} prefix so its dashboards translate one for one.
 * Every name here is a stable interface (docs/METRICS.md lists them); every series carries {@code model_name}.
 */
public final class ServingMetrics {
    /** vLLM's TTFT buckets, seconds. */
    private static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
            1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
    private static final double[] ITL_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0,
            2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};
    private static final double[] REQUEST_BUCKETS = {0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0,
            40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

    private final String model;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter success;
    private final Counter errors;
    private final Histogram ttft;
    private final Histogram itl;
    private final Histogram e2e;
    private final Histogram queue;
    private final Counter promptTokens;
    private final Counter generationTokens;

    public ServingMetrics(String modelName, Supplier<EngineStats> engine) {
        this.model = modelName;
        success = Counter.builder().name("strata_request_success")
                .help("Finished requests, by why they finished (stop, length, abort)")
                .labelNames("model_name", "finished_reason").register(registry);
        errors = Counter.builder().name("strata_request_errors")
                .help("Requests answered with an error, by HTTP status code")
                .labelNames("model_name", "code").register(registry);
        ttft = seconds("strata_time_to_first_token_seconds", "Time from arrival to the first generated token", TTFT_BUCKETS);
        itl = seconds("strata_inter_token_latency_seconds", "Time between two generated tokens of one sequence", ITL_BUCKETS);
        e2e = seconds("strata_e2e_request_latency_seconds", "Time from arrival to the last token", REQUEST_BUCKETS);
        queue = seconds("strata_request_queue_time_seconds", "Time a sequence waited for a slot", REQUEST_BUCKETS);
        promptTokens = Counter.builder().name("strata_prompt_tokens").help("Prompt tokens of finished sequences")
                .labelNames("model_name").register(registry);
        generationTokens = Counter.builder().name("strata_generation_tokens").help("Generated tokens")
                .labelNames("model_name").register(registry);
        GaugeWithCallback.builder().name("strata_num_requests_running").help("Sequences in the running batch")
                .labelNames("model_name").callback(cb -> cb.call(engine.get().running(), model)).register(registry);
        GaugeWithCallback.builder().name("strata_num_requests_waiting").help("Sequences queued for a slot")
                .labelNames("model_name").callback(cb -> cb.call(engine.get().waiting(), model)).register(registry);
        GaugeWithCallback.builder().name("strata_kv_cache_usage_ratio")
                .help("Fraction 0-1 of the KV cache positions held by running sequences")
                .labelNames("model_name").callback(cb -> cb.call(engine.get().kvCacheUsage(), model)).register(registry);
        JvmMetrics.builder().register(registry);
    }

    private Histogram seconds(String name, String help, double[] buckets) {
        return Histogram.builder().name(name).help(help).classicOnly().classicUpperBounds(buckets)
                .labelNames("model_name").register(registry);
    }

    public void requestSucceeded(String finishReason) { success.labelValues(model, finishReason).inc(); }

    public void requestFailed(int status) { errors.labelValues(model, Integer.toString(status)).inc(); }

    public void timeToFirstToken(long nanos) { ttft.labelValues(model).observe(nanos / 1e9); }

    public void interTokenLatency(long nanos) { itl.labelValues(model).observe(nanos / 1e9); }

    public void requestLatency(long nanos) { e2e.labelValues(model).observe(nanos / 1e9); }

    public void queueTime(long nanos) { queue.labelValues(model).observe(nanos / 1e9); }

    public void tokens(int prompt, int generated) {
        promptTokens.labelValues(model).inc(prompt);
        generationTokens.labelValues(model).inc(generated);
    }

    public String contentType() { return writer.getContentType(); }

    /** The exposition text (Prometheus text format 0.0.4). */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16384);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
