package io.strata.coordinator.generation;

import io.strata.coordinator.ServedModel;
import io.strata.coordinator.api.ApiException;
import io.strata.coordinator.metrics.ServingMetrics;
import io.strata.worker.engine.EngineOverloadedException;
import io.strata.worker.engine.GenerationRequest;
import io.vertx.core.Context;

import java.util.ArrayList;
import java.util.List;

/**
 * The choices of one HTTP request, submitted together: all are accepted or none is (a full queue cancels the ones
 * already in), and {@link #cancel()} stops every one, as when the client disconnects.
 */
public final class GenerationJob {
    private final List<ChoiceRun> runs;

    private GenerationJob(List<ChoiceRun> runs) {
        this.runs = runs;
    }

    /**
     * Submits every spec to the model's engine; events reach {@code sink} on {@code context}.
     *
     * @throws ApiException 429 when the engine's queue is full, 400 when a request cannot fit
     */
    public static GenerationJob start(String requestId, ServedModel model, ServingMetrics metrics, Context context,
                                      List<GenerationSpec> specs, ChoiceSink sink, long arrivalNanos) {
        List<ChoiceRun> runs = new ArrayList<>();
        try {
            for (int i = 0; i < specs.size(); i++) {
                GenerationSpec spec = specs.get(i);
                ChoiceRun run = new ChoiceRun(i, spec, context, sink, model.tokenizer(), metrics, arrivalNanos);
                runs.add(run);
                run.started(model.engine().submit(
                        new GenerationRequest(requestId + "/" + i, spec.prompt(), spec.sampling(), spec.maxTokens(),
                                spec.ignoreEos()), run));
            }
        } catch (EngineOverloadedException e) {
            runs.forEach(ChoiceRun::cancel);
            throw ApiException.overloaded("the server is busy: " + e.getMessage() + "; retry later", e.retryAfterSeconds());
        } catch (IllegalArgumentException e) {
            runs.forEach(ChoiceRun::cancel);
            throw ApiException.badRequest(null, e.getMessage());
        } catch (IllegalStateException e) {
            runs.forEach(ChoiceRun::cancel);
            throw ApiException.unavailable(e.getMessage());
        }
        return new GenerationJob(runs);
    }

    public List<ChoiceRun> runs() { return runs; }

    public void cancel() {
        runs.forEach(ChoiceRun::cancel);
    }
}
