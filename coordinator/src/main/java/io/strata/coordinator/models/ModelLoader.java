package io.strata.coordinator.models;

import io.strata.coordinator.ModelFacts;

import java.util.List;
import java.util.function.Function;

/** How a {@link ModelPool} finds, opens and lists models; every method may block on the disk. */
public interface ModelLoader {
    /**
     * The model a request's {@code model} names.
     *
     * @throws UnknownModelException when it names nothing
     */
    ModelSpec resolve(String requested);

    /** Opens it for serving: mapped, with its engine running. */
    LoadedModel load(ModelSpec spec);

    /** Applies {@code reader} to its facts while its files are open, without starting an engine. */
    <T> T inspect(ModelSpec spec, Function<ModelFacts, T> reader);

    /** The models a listing shows besides the loaded ones (the store's). */
    List<ListedModel> listed();
}
