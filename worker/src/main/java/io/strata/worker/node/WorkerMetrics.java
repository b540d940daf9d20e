package io.strata.worker.node;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.strata.worker.distributed.RankTelemetry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A worker's HTTP port: {@code /metrics} (Prometheus text: step time per stage, all-reduce latency, data-plane
 * bytes and back-pressure, plan version and readiness; names in docs/METRICS.md) and {@code /health} (its state as
 * JSON). Served by the JDK's HTTP server on one thread: scrapes are rare and must never touch the step loop,
 * which only feeds the histograms.
 */
final class WorkerMetrics implements AutoCloseable {
    private static final double[] STEP_BUCKETS = {.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
    private static final double[] REDUCE_BUCKETS = {.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .1};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Histogram stepSeconds;
    private final Histogram allReduceSeconds;
    private final HttpServer server;
    private volatile RankTelemetry rank;
    private long retiredSent;
    private long retiredReceived;
    private long retiredBackPressure;
    private final String workerLabel;

    WorkerMetrics(String worker, String host, int port, Supplier<String> state, Supplier<Long> planVersion) {
        this.workerLabel = worker;
        stepSeconds = Histogram.builder().name("strata_worker_step_seconds")
                .help("Time of one engine step on this rank (its layers, its collectives, its sends)")
                .classicOnly().classicUpperBounds(STEP_BUCKETS).labelNames("worker", "stage").register(registry);
        allReduceSeconds = Histogram.builder().name("strata_worker_allreduce_seconds")
                .help("Latency of one all-reduce among the tensor-parallel ranks of this worker's stage")
                .classicOnly().classicUpperBounds(REDUCE_BUCKETS).labelNames("worker", "stage").register(registry);
        CounterWithCallback.builder().name("strata_worker_sent_bytes").help("Data-plane bytes sent")
                .labelNames("worker").callback(cb -> cb.call(sent(), worker)).register(registry);
        CounterWithCallback.builder().name("strata_worker_received_bytes").help("Data-plane bytes received")
                .labelNames("worker").callback(cb -> cb.call(received(), worker)).register(registry);
        CounterWithCallback.builder().name("strata_worker_backpressure_events")
                .help("Aeron offers refused by back-pressure (each retried until its deadline)")
                .labelNames("worker").callback(cb -> cb.call(backPressure(), worker)).register(registry);
        GaugeWithCallback.builder().name("strata_worker_ready").help("1 when this worker serves its share of the plan")
                .labelNames("worker").callback(cb -> cb.call("ready".equals(state.get()) ? 1 : 0, worker))
                .register(registry);
        GaugeWithCallback.builder().name("strata_worker_plan_version").help("The plan this worker runs (0: none)")
                .labelNames("worker").callback(cb -> {
                    Long v = planVersion.get();
                    cb.call(v == null ? 0 : v, worker);
                }).register(registry);
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("worker " + worker + " cannot listen on " + host + ":" + port + ": "
                    + e.getMessage(), e);
        }
        server.setExecutor(Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon(true)
                .name("strata-worker-http").unstarted(r)));
        server.createContext("/metrics", ex -> respond(ex, 200, writer.getContentType(), scrape()));
        server.createContext("/health", ex -> respond(ex, 200, "application/json",
                ("{\"worker\":\"" + worker + "\",\"state\":\"" + state.get() + "\",\"plan_version\":"
                        + planVersion.get() + "}").getBytes(StandardCharsets.UTF_8)));
        server.start();
    }

    int port() { return server.getAddress().getPort(); }

    /** The rank this worker now runs; its step times and all-reduce latencies feed the histograms. */
    synchronized void attach(RankTelemetry r) {
        detach();
        String stage = Integer.toString(r.stage());
        var steps = stepSeconds.labelValues(workerLabel(), stage);
        var reduces = allReduceSeconds.labelValues(workerLabel(), stage);
        r.observe(nanos -> steps.observe(nanos * 1e-9), nanos -> reduces.observe(nanos * 1e-9));
        rank = r;
    }

    /** The rank stopped: its counters stay counted. */
    synchronized void detach() {
        RankTelemetry r = rank;
        if (r != null) {
            retiredSent += r.bytesSent();
            retiredReceived += r.bytesReceived();
            retiredBackPressure += r.backPressureEvents();
            rank = null;
        }
    }

    private String workerLabel() { return workerLabel; }

    private synchronized long sent() {
        RankTelemetry r = rank;
        return retiredSent + (r == null ? 0 : r.bytesSent());
    }

    private synchronized long received() {
        RankTelemetry r = rank;
        return retiredReceived + (r == null ? 0 : r.bytesReceived());
    }

    private synchronized long backPressure() {
        RankTelemetry r = rank;
        return retiredBackPressure + (r == null ? 0 : r.backPressureEvents());
    }

    private byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
