package io.strata.worker.scheduler;

import io.strata.inference.sampling.Sampler;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.Submission;

/** A request inside the scheduler: its sampler, where its prompt stands, and what it has generated. */
final class Sequence implements Submission {
    final GenerationRequest request;
    final GenerationListener listener;
    final long arrivalNanos;
    private final ContinuousBatchScheduler scheduler;
    private volatile boolean cancelled;

    Sampler sampler;
    KvSlot slot;
    /** Prompt tokens in the cache; the prompt is done when this reaches its length. */
    int prefilled;
    int generated;
    /** The token to feed at the next decode step. */
    int nextToken;
    /** Logits row of this sequence in the current step, or -1. */
    int logitsRow = -1;
    /** Prompt tokens added to the current step. */
    int chunk;
    boolean finished;

    Sequence(GenerationRequest request, GenerationListener listener, ContinuousBatchScheduler scheduler) {
        this.request = request;
        this.listener = listener;
        this.scheduler = scheduler;
        this.arrivalNanos = System.nanoTime();
    }

    boolean prefilling() {
        return prefilled < request.prompt().length;
    }

    boolean isFinished() {
        return finished;
    }

    boolean isCancelled() {
        return cancelled;
    }

    @Override
    public void cancel() {
        cancelled = true;
        scheduler.wake();
    }
}
