package io.strata.coordinator.ollama;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.api.Responses;
import io.strata.coordinator.generation.ChoiceSink;
import io.strata.coordinator.generation.GenerationJob;
import io.strata.coordinator.generation.LogprobEntry;
import io.strata.coordinator.metrics.ServingMetrics;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.List;

/**
 * One /api/generate or /api/chat answer: NDJSON objects as text arrives and a final one with {@code done}, the
 * durations (nanoseconds) and counts; or, with {@code stream: false}, only the final one carrying the whole text.
 */
final class OllamaResponder implements ChoiceSink {
    private final boolean chat;
    private final RoutingContext rc;
    private final ServingMetrics metrics;
    private final String model;
    private final boolean stream;
    private final long arrivalNanos;
    private final StringBuilder text = new StringBuilder();
    private GenerationJob job;
    private long scheduledNanos;
    private boolean failed;

    OllamaResponder(boolean chat, RoutingContext rc, ServingMetrics metrics, String model, boolean stream, long arrivalNanos) {
        this.chat = chat;
        this.rc = rc;
        this.metrics = metrics;
        this.model = model;
        this.stream = stream;
        this.arrivalNanos = arrivalNanos;
    }

    void begin(GenerationJob job) {
        this.job = job;
        this.scheduledNanos = System.nanoTime();
        if (stream) {
            rc.response().setStatusCode(200).setChunked(true).putHeader("Content-Type", "application/x-ndjson");
            rc.response().write("");
        }
    }

    @Override
    public void onText(int choice, String delta, List<LogprobEntry> logprobs) {
        text.append(delta);
        if (stream && !failed && !delta.isEmpty()) {
            ObjectNode o = head();
            content(o, delta);
            o.put("done", false);
            line(o);
        }
    }

    @Override
    public void onEnd(int choice, String finishReason, int promptTokens, int completionTokens) {
        if (failed) {
            return;
        }
        metrics.requestSucceeded(finishReason);
        if ("abort".equals(finishReason)) {
            return;
        }
        long now = System.nanoTime();
        metrics.requestLatency(now - arrivalNanos);
        long first = job.runs().get(0).firstTokenNanos();
        if (first == 0) {
            first = now;
        }
        ObjectNode o = head();
        content(o, stream ? "" : text.toString());
        o.put("done", true);
        o.put("done_reason", finishReason);
        o.put("total_duration", now - arrivalNanos);
        o.put("load_duration", 0);
        o.put("prompt_eval_count", promptTokens);
        o.put("prompt_eval_duration", Math.max(0, first - scheduledNanos));
        o.put("eval_count", completionTokens);
        o.put("eval_duration", Math.max(0, now - first));
        if (stream) {
            line(o);
            rc.response().end();
        } else {
            Responses.json(rc, 200, o);
        }
    }

    @Override
    public void onError(int choice, ApiException error) {
        if (failed) {
            return;
        }
        failed = true;
        metrics.requestFailed(error.status());
        if (stream) {
            ObjectNode o = Responses.object();
            o.put("error", error.getMessage());
            line(o);
            rc.response().end();
        } else {
            Responses.ollamaError(rc, error);
        }
    }

    private ObjectNode head() {
        ObjectNode o = Responses.object();
        o.put("model", model);
        o.put("created_at", Instant.now().toString());
        return o;
    }

    private void content(ObjectNode o, String s) {
        if (chat) {
            ObjectNode m = o.putObject("message");
            m.put("role", "assistant");
            m.put("content", s);
        } else {
            o.put("response", s);
        }
    }

    private void line(ObjectNode o) {
        HttpServerResponse r = rc.response();
        if (!r.ended() && !r.closed()) {
            r.write(Responses.compact(o) + "\n");
        }
    }
}
