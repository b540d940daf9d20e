package io.strata.coordinator.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.strata.coordinator.models.ModelEvents;
import io.strata.worker.engine.EngineStats;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The serving metrics, named after vLLM's with a {@code strata_} prefix so its dashboards translate one for one.
 * Every name here is a stable interface (docs/METRICS.md lists them); every series carries {@code model_name}.
 * One registry holds every model's series: {@link #forModel} is the view a request of one model records through.
 */
public final class ServingMetrics implements ModelEvents {
    /** vLLM's TTFT buckets, seconds. */
    private static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
            1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
    private static final double[] ITL_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0,
            2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};
    private static final double[] REQUEST_BUCKETS = {0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0,
            40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
    private static final double[] LOAD_BUCKETS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            120.0, 300.0};

    private final String model;
    private final Collectors c;

    /** The series of one registry, shared by every model's view. */
    private static final class Collectors {
        final PrometheusRegistry registry = new PrometheusRegistry();
        final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        final Map<String, ServingMetrics> views = new ConcurrentHashMap<>();
        Counter success;
        Counter errors;
        Histogram ttft;
        Histogram itl;
        Histogram e2e;
        Histogram queue;
        Counter promptTokens;
        Counter generationTokens;
        Counter loads;
        Histogram loadTime;
        Counter unloads;
    }

    /** The metrics of a server of one model. */
    public ServingMetrics(String modelName, Supplier<EngineStats> engine) {
        this(() -> Map.of(modelName, engine.get()), modelName);
    }

    /**
     * The metrics of a server of several models.
     *
     * @param defaultModel the label of what happens before a request's model is known (a 404 for an unknown name)
     * @param engines      each loaded model's engine load, by name
     */
    public static ServingMetrics ofModels(String defaultModel, Supplier<Map<String, EngineStats>> engines) {
        return new ServingMetrics(engines, defaultModel);
    }

    private ServingMetrics(Supplier<Map<String, EngineStats>> engines, String defaultModel) {
        this.model = defaultModel;
        this.c = new Collectors();
        PrometheusRegistry registry = c.registry;
        c.success = Counter.builder().name("strata_request_success")
                .help("Finished requests, by why they finished (stop, length, abort)")
                .labelNames("model_name", "finished_reason").register(registry);
        c.errors = Counter.builder().name("strata_request_errors")
                .help("Requests answered with an error, by HTTP status code")
                .labelNames("model_name", "code").register(registry);
        c.ttft = seconds("strata_time_to_first_token_seconds", "Time from arrival to the first generated token", TTFT_BUCKETS);
        c.itl = seconds("strata_inter_token_latency_seconds", "Time between two generated tokens of one sequence", ITL_BUCKETS);
        c.e2e = seconds("strata_e2e_request_latency_seconds", "Time from arrival to the last token", REQUEST_BUCKETS);
        c.queue = seconds("strata_request_queue_time_seconds", "Time a sequence waited for a slot", REQUEST_BUCKETS);
        c.promptTokens = Counter.builder().name("strata_prompt_tokens").help("Prompt tokens of finished sequences")
                .labelNames("model_name").register(registry);
        c.generationTokens = Counter.builder().name("strata_generation_tokens").help("Generated tokens")
                .labelNames("model_name").register(registry);
        GaugeWithCallback.builder().name("strata_num_requests_running").help("Sequences in the running batch")
                .labelNames("model_name").callback(cb -> engines.get().forEach((m, s) -> cb.call(s.running(), m)))
                .register(registry);
        GaugeWithCallback.builder().name("strata_num_requests_waiting").help("Sequences queued for a slot")
                .labelNames("model_name").callback(cb -> engines.get().forEach((m, s) -> cb.call(s.waiting(), m)))
                .register(registry);
        GaugeWithCallback.builder().name("strata_kv_cache_usage_ratio")
                .help("Fraction 0-1 of the KV cache positions held by running sequences")
                .labelNames("model_name").callback(cb -> engines.get().forEach((m, s) -> cb.call(s.kvCacheUsage(), m)))
                .register(registry);
        GaugeWithCallback.builder().name("strata_model_loaded").help("1 for each model loaded now")
                .labelNames("model_name").callback(cb -> engines.get().keySet().forEach(m -> cb.call(1, m)))
                .register(registry);
        c.loads = Counter.builder().name("strata_model_loads").help("Models loaded on demand (not the one a server starts with)")
                .labelNames("model_name").register(registry);
        c.loadTime = seconds("strata_model_load_seconds", "Time to load a model on demand (map, tokenizer, engine)",
                LOAD_BUCKETS);
        c.unloads = Counter.builder().name("strata_model_unloads")
                .help("Models unloaded, by why (lru, keep_alive, expired, shutdown)")
                .labelNames("model_name", "reason").register(registry);
        JvmMetrics.builder().register(registry);
        c.views.put(defaultModel, this);
    }

    private ServingMetrics(String model, Collectors c) {
        this.model = model;
        this.c = c;
    }

    /** The same registry, recording under {@code modelName}. */
    public ServingMetrics forModel(String modelName) {
        return c.views.computeIfAbsent(modelName, m -> new ServingMetrics(m, c));
    }

    private Histogram seconds(String name, String help, double[] buckets) {
        return Histogram.builder().name(name).help(help).classicOnly().classicUpperBounds(buckets)
                .labelNames("model_name").register(c.registry);
    }

    public void requestSucceeded(String finishReason) { c.success.labelValues(model, finishReason).inc(); }

    public void requestFailed(int status) { c.errors.labelValues(model, Integer.toString(status)).inc(); }

    public void timeToFirstToken(long nanos) { c.ttft.labelValues(model).observe(nanos / 1e9); }

    public void interTokenLatency(long nanos) { c.itl.labelValues(model).observe(nanos / 1e9); }

    public void requestLatency(long nanos) { c.e2e.labelValues(model).observe(nanos / 1e9); }

    public void queueTime(long nanos) { c.queue.labelValues(model).observe(nanos / 1e9); }

    public void tokens(int prompt, int generated) {
        c.promptTokens.labelValues(model).inc(prompt);
        c.generationTokens.labelValues(model).inc(generated);
    }

    @Override
    public void loaded(String modelName, long nanos) {
        c.loads.labelValues(modelName).inc();
        c.loadTime.labelValues(modelName).observe(nanos / 1e9);
    }

    @Override
    public void unloaded(String modelName, String reason) {
        c.unloads.labelValues(modelName, reason).inc();
    }

    public String contentType() { return c.writer.getContentType(); }

    /** The exposition text (Prometheus text format 0.0.4). */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16384);
        try {
            c.writer.write(out, c.registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
