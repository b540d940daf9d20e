package io.strata.coordinator.models;

import io.strata.coordinator.ModelFacts;
import io.strata.coordinator.ServedModel;
import io.strata.coordinator.api.ApiException;
import io.strata.worker.engine.EngineStats;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * One model served for the life of the server, under its names only: a cluster coordinator's (its cluster runs
 * one model) or an embedding's. Any other name is a 404 that says which model is served; {@code keep_alive} does not
 * unload it. Its owner closes the engine and the model.
 */
public final class FixedModel implements ModelCatalog {
    private final ServedModel model;

    public FixedModel(ServedModel model) {
        this.model = model;
    }

    @Override
    public String primaryName() { return model.name(); }

    private <T> CompletionStage<T> ifNamed(String requested, T value) {
        if (!model.answersTo(requested)) {
            return CompletableFuture.failedFuture(new UnknownModelException(requested,
                    "this server serves '" + model.name() + "'"));
        }
        return CompletableFuture.completedFuture(value);
    }

    @Override
    public CompletionStage<ModelLease> acquire(String requested, KeepAlive keepAlive) {
        return ifNamed(requested, new ModelLease() {
            @Override public ServedModel model() { return model; }

            @Override public void release() { }
        });
    }

    /** Refused: the model is the server's for as long as it runs. */
    @Override
    public CompletionStage<Boolean> unload(String requested) {
        return ifNamed(requested, null).thenApply(v -> {
            throw ApiException.badRequest("keep_alive", "this server keeps '" + model.name() + "' loaded for as long"
                    + " as it runs (it serves one model); keep_alive 0 does not unload it");
        });
    }

    @Override
    public <T> CompletionStage<T> inspect(String requested, Function<ModelFacts, T> reader) {
        return ifNamed(requested, null).thenApply(v -> reader.apply(model.facts()));
    }

    @Override
    public List<ListedModel> list() { return List.of(ListedModel.of(model.facts())); }

    @Override
    public List<LoadedStatus> loaded() { return List.of(new LoadedStatus(model, false, null)); }

    @Override
    public Map<String, EngineStats> engineStats() { return Map.of(model.name(), model.engine().stats()); }

    @Override
    public ServedModel probeTarget() { return model; }

    @Override
    public void listen(ModelEvents events) { }

    @Override
    public void close() { }
}
