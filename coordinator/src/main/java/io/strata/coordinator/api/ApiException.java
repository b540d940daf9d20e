package io.strata.coordinator.api;

/**
 * A request the server refuses, with the HTTP status and OpenAI's error fields; the Ollama routes render the same
 * exception as {@code {"error": message}}. The message names the offending field or number, so a client can fix it.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final int retryAfterSeconds;

    private ApiException(int status, String type, String param, String code, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message, -1);
    }

    public static ApiException contextExceeded(String message) {
        return new ApiException(400, "invalid_request_error", "messages", "context_length_exceeded", message, -1);
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "authentication_error", null, "invalid_api_key",
                "missing or invalid API key: send 'Authorization: Bearer <key>'", -1);
    }

    public static ApiException notFound(String param, String message) {
        return new ApiException(404, "not_found_error", param, param == null ? null : "model_not_found", message, -1);
    }

    public static ApiException tooLarge(long limit) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "the request body exceeds the limit of " + limit + " bytes", -1);
    }

    public static ApiException overloaded(String message, int retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", null, "server_overloaded", message, retryAfterSeconds);
    }

    public static ApiException internal(String message) {
        return new ApiException(500, "api_error", null, null, message, -1);
    }

    public static ApiException unavailable(String message) {
        return new ApiException(503, "api_error", null, null, message, 1);
    }

    public int status() { return status; }

    public String type() { return type; }

    public String param() { return param; }

    public String code() { return code; }

    /** Seconds a client should wait before retrying, or -1 when retrying will not help. */
    public int retryAfterSeconds() { return retryAfterSeconds; }
}
