package io.strata.coordinator.health;

import io.strata.inference.sampling.SamplingParams;
import io.strata.worker.engine.EngineOverloadedException;
import io.strata.worker.engine.FinishReason;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.InferenceEngine;
import io.strata.worker.engine.TokenChoice;

import java.util.function.Supplier;

/**
 * Whether the model really generates, for load balancers: ready when a forward pass succeeded within the window
 * (any request's), and otherwise a one-token probe generation is run to find out. A wedged or failing engine turns
 * /ready to 503 within the window while /health stays 200.
 */
public final class Readiness {
    /** An engine to probe and the prompt to probe it with. */
    public record Target(InferenceEngine engine, int[] probePrompt) {}

    private final Supplier<Target> target;
    private final long windowNanos;
    private volatile long lastSuccessNanos;
    private volatile boolean probing;
    private volatile String lastError = "no generation has run yet";

    public Readiness(InferenceEngine engine, int[] probePrompt, int windowSeconds) {
        this(fixed(new Target(engine, probePrompt.clone())), windowSeconds);
    }

    /**
     * Readiness over whichever engine {@code target} gives at the time (the models a server loads on demand come and
     * go); null from it means no model is loaded, which is ready: the next request loads one.
     */
    public Readiness(Supplier<Target> target, int windowSeconds) {
        this.target = target;
        this.windowNanos = windowSeconds * 1_000_000_000L;
    }

    private static Supplier<Target> fixed(Target t) {
        return () -> t;
    }

    /** True when a generation step succeeded within the window, or no model is loaded. */
    public boolean ready() {
        Target t = target.get();
        if (t == null) {
            return true;
        }
        long last = Math.max(lastSuccessNanos, t.engine().stats().lastStepNanos());
        return last != 0 && System.nanoTime() - last < windowNanos;
    }

    /** Why not ready, for the 503 body. */
    public String reason() {
        return lastError;
    }

    /** Starts a probe generation unless the engine ran recently or a probe is in flight; call it periodically. */
    public void probeIfIdle() {
        Target t = target.get();
        if (t == null) {
            return;
        }
        InferenceEngine engine = t.engine();
        long last = Math.max(lastSuccessNanos, engine.stats().lastStepNanos());
        if (probing || (last != 0 && System.nanoTime() - last < windowNanos / 2)) {
            return;
        }
        probing = true;
        try {
            engine.submit(new GenerationRequest("readiness-probe", t.probePrompt(), SamplingParams.greedy(), 1),
                    new GenerationListener() {
                        @Override public void onScheduled(long queueNanos) { }

                        @Override public void onToken(int token, TokenChoice logprobs) { }

                        @Override public void onFinished(FinishReason reason, int promptTokens, int generatedTokens) {
                            lastSuccessNanos = System.nanoTime();
                            probing = false;
                        }

                        @Override public void onFailed(String message) {
                            Target now = target.get();
                            if (now != null && now.engine() == engine) { // not an engine unloaded under the probe
                                lastError = "the probe generation failed: " + message;
                            }
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
