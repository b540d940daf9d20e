package io.strata.coordinator.generation;

import io.strata.coordinator.api.ApiException;

import java.util.List;

/** Where one choice's output goes; called on the HTTP request's event-loop context, in order. */
public interface ChoiceSink {
    /** Newly released text (may be empty when only log-probabilities arrive) and the tokens it came with. */
    void onText(int choice, String text, List<LogprobEntry> logprobs);

    /**
     * The choice ended. {@code finishReason} is {@code stop} or {@code length} as the APIs name it, or
     * {@code abort} when it was cancelled before finishing (the client went away).
     */
    void onEnd(int choice, String finishReason, int promptTokens, int completionTokens);

    /** The engine failed this choice. */
    void onError(int choice, ApiException error);
}
