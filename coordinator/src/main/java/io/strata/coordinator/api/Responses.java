package io.strata.coordinator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** Writing JSON bodies and errors in the two APIs' shapes. */
public final class Responses {
    private Responses() {
    }

    public static ObjectNode object() {
        return JsonRequest.MAPPER.createObjectNode();
    }

    public static String compact(JsonNode node) {
        try {
            return JsonRequest.MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void json(RoutingContext rc, int status, JsonNode body) {
        HttpServerResponse r = rc.response();
        if (r.ended() || r.closed()) {
            return;
        }
        r.setStatusCode(status).putHeader("Content-Type", "application/json").end(compact(body));
    }

    /** OpenAI's error body: {@code {"error":{"message","type","param","code"}}}. */
    public static ObjectNode openAiErrorBody(ApiException e) {
        ObjectNode body = object();
        ObjectNode err = body.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        err.put("param", e.param());
        err.put("code", e.code());
        return body;
    }

    public static void openAiError(RoutingContext rc, ApiException e) {
        retryHeaders(rc.response(), e);
        json(rc, e.status(), openAiErrorBody(e));
    }

    /** Ollama's error body: {@code {"error": message}}. */
    public static void ollamaError(RoutingContext rc, ApiException e) {
        retryHeaders(rc.response(), e);
        ObjectNode body = object();
        body.put("error", e.getMessage());
        json(rc, e.status(), body);
    }

    private static void retryHeaders(HttpServerResponse r, ApiException e) {
        if (r.headWritten()) {
            return;
        }
        if (e.retryAfterSeconds() >= 0) {
            r.putHeader("Retry-After", Integer.toString(e.retryAfterSeconds()));
            r.putHeader("x-should-retry", "true");
        } else if (e.status() < 500) {
            r.putHeader("x-should-retry", "false");
        }
    }

    /** Any failure as an ApiException: our own, or a 500 that names the cause. */
    public static ApiException asApiException(Throwable t) {
        if (t instanceof ApiException a) {
            return a;
        }
        if (t instanceof IllegalArgumentException) {
            return ApiException.badRequest(null, t.getMessage());
        }
        return ApiException.internal("internal error: " + t);
    }
}
