package io.strata.coordinator.models;

/**
 * A request's {@code model} resolves to nothing (HTTP 404 in both APIs). Each API words it its own way: Ollama's
 * server says exactly {@code model 'X' not found} (its clients offer a pull on that), OpenAI's says the model
 * does not exist, here followed by where it was looked for.
 */
public final class UnknownModelException extends RuntimeException {
    private final String requested;
    private final String detail;

    /** @param detail where it was looked for, or what is served instead */
    public UnknownModelException(String requested, String detail) {
        super("model '" + requested + "' not found: " + detail);
        this.requested = requested;
        this.detail = detail;
    }

    public String requested() { return requested; }

    /** Ollama's wording. */
    public String ollamaMessage() {
        return "model '" + requested + "' not found";
    }

    /** OpenAI's wording, with the detail. */
    public String openAiMessage() {
        return "the model '" + requested + "' does not exist; " + detail;
    }
}
