package io.strata.coordinator.models;

import io.strata.coordinator.ServedModel;

/** A model loaded for serving and what must be closed to unload it (its engine, then its mapping). */
public record LoadedModel(ServedModel served, AutoCloseable resources) implements AutoCloseable {
    @Override
    public void close() throws Exception {
        resources.close();
    }
}
