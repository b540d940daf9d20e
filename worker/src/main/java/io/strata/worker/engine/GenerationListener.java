package io.strata.worker.engine;

/**
 * Receives one sequence's events, in this order: {@link #onScheduled} once, {@link #onToken} per generated token,
 * then exactly one of {@link #onFinished} or {@link #onFailed}. Called on the engine's thread: implementations hand
 * the event on (to an event loop) and return at once; a listener that throws is treated as a cancelled request.
 */
public interface GenerationListener {
    /** The sequence left the queue and joined the running batch after {@code queueNanos} of waiting. */
    void onScheduled(long queueNanos);

    /** One generated token; {@code logprobs} is null unless the request asked for log-probabilities. */
    void onToken(int token, TokenChoice logprobs);

    /** The sequence ended: its KV cache is already free. */
    void onFinished(FinishReason reason, int promptTokens, int generatedTokens);

    /** The engine could not run the sequence (a failed forward pass); its KV cache is already free. */
    void onFailed(String message);
}
