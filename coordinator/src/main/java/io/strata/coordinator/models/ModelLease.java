package io.strata.coordinator.models;

import io.strata.coordinator.ServedModel;

/** A model held loaded for one request: it is not unloaded until {@link #release()} (which may be called twice). */
public interface ModelLease {
    ServedModel model();

    void release();
}
