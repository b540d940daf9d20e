package io.strata.coordinator.models;

import io.strata.coordinator.ModelFacts;
import io.strata.coordinator.ServedModel;
import io.strata.worker.engine.EngineStats;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The models the HTTP API serves, as the routes ask for them: the one a request names (loaded first when it has to
 * be), what a name describes, what is listed and what is loaded. {@link FixedModel} serves one model for the life of
 * the server (a cluster coordinator's); {@link ModelPool} loads stored models on demand within a limit, as Ollama's
 * scheduler does.
 */
public interface ModelCatalog extends AutoCloseable {
    /** The model the server started with: the label of metrics and errors that no model can be named for yet. */
    String primaryName();

    /**
     * The model {@code requested} names, loaded first when it is not; the lease keeps it loaded until it is released.
     * The stage may complete on any thread. It fails with {@link UnknownModelException} for a name that resolves to
     * nothing, and with an {@code ApiException} otherwise (400 for a reference a request may not use, 503 when no
     * room can be made in time).
     *
     * @param keepAlive how long the model stays loaded once its last request ends (null: the server's default: for ever
     *                  for the model it started with)
     */
    CompletionStage<ModelLease> acquire(String requested, KeepAlive keepAlive);

    /** Unloads the model once its requests end (Ollama's {@code keep_alive: 0} without a prompt); true if it was loaded. */
    CompletionStage<Boolean> unload(String requested);

    /**
     * Applies {@code reader} to what {@code requested} names, without loading it (Ollama's show reads the files, it
     * does not start a runner). The reader runs while the model's files are open, possibly on another thread.
     */
    <T> CompletionStage<T> inspect(String requested, Function<ModelFacts, T> reader);

    /** Every model a client can name in a listing (Ollama's tags, OpenAI's models). May read the disk: not on an event loop. */
    List<ListedModel> list();

    /** The models loaded now, in the order they were loaded. */
    List<LoadedStatus> loaded();

    /** Each loaded model's engine load, by its name (the gauges' {@code model_name}). */
    Map<String, EngineStats> engineStats();

    /** A loaded model for the readiness probe to run on, or null when none is loaded. */
    ServedModel probeTarget();

    /** Where loads and unloads are reported (the metrics); set once, when the server starts. */
    void listen(ModelEvents events);

    @Override
    void close();
}
