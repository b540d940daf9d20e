package io.strata.coordinator.health;

import io.strata.inference.sampling.SamplingParams;
import io.strata.worker.engine.EngineOverloadedException;
import io.strata.worker.engine.FinishReason;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.InferenceEngine;
import io.strata.worker.engine.TokenChoice;

/**
 * Whether the model really generates, for load balancers: ready when a forward pass succeeded within the window
 * (any request's), and otherwise a one-token probe generation is run to find out. A wedged or failing engine turns
 * /ready to 503 within the window while /health stays 200.
 */
public final class Readiness {
    private final InferenceEngine engine;
    private final int[] probePrompt;
    private final long windowNanos;
    private volatile long lastSuccessNanos;
    private volatile boolean probing;
    private volatile String lastError = "no generation has run yet";

    public Readiness(InferenceEngine engine, int[] probePrompt, int windowSeconds) {
        this.engine = engine;
        this.probePrompt = probePrompt.clone();
        this.windowNanos = windowSeconds * 1_000_000_000L;
    }

    /** True when a generation step succeeded within the window. */
    public boolean ready() {
        long last = Math.max(lastSuccessNanos, engine.stats().lastStepNanos());
        return last != 0 && System.nanoTime() - last < windowNanos;
    }

    /** Why not ready, for the 503 body. */
    public String reason() {
        return lastError;
    }

    /** Starts a probe generation unless the engine ran recently or a probe is in flight; call it periodically. */
    public void probeIfIdle() {
        long last = Math.max(lastSuccessNanos, engine.stats().lastStepNanos());
        if (probing || (last != 0 && System.nanoTime() - last < windowNanos / 2)) {
            return;
        }
        probing = true;
        try {
            engine.submit(new GenerationRequest("readiness-probe", probePrompt, SamplingParams.greedy(), 1),
                    new GenerationListener() {
                        @Override public void onScheduled(long queueNanos) { }

                        @Override public void onToken(int token, TokenChoice logprobs) { }

                        @Override public void onFinished(FinishReason reason, int promptTokens, int generatedTokens) {
                            lastSuccessNanos = System.nanoTime();
                            probing = false;
                        }

                        @Override public void onFailed(String message) {
                            lastError = "the probe generation failed: " + message;
                            probing = false;
                        }
                    });
        } catch (EngineOverloadedException e) {
            probing = false; // busy is not broken: the running requests' steps count
        } catch (RuntimeException e) {
            lastError = "the probe generation was refused: " + e.getMessage();
            probing = false;
        }
    }
}
