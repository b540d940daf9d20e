package io.strata.coordinator.models;

/** What a {@link ModelCatalog} reports as models come and go (the metrics listen). */
public interface ModelEvents {
    ModelEvents NONE = new ModelEvents() {
        @Override public void loaded(String model, long nanos) { }

        @Override public void unloaded(String model, String reason) { }
    };

    /** {@code model} was loaded in {@code nanos}. */
    void loaded(String model, long nanos);

    /**
     * {@code model} was unloaded: {@code lru} (room for another model), {@code keep_alive} (a request's
     * {@code keep_alive} of 0), {@code expired} (idle for its keep-alive) or {@code shutdown}.
     */
    void unloaded(String model, String reason);
}
