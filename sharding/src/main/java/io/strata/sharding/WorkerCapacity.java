package io.strata.sharding;

import java.util.Objects;

/**
 * What one worker offers the planner: a memory budget for its weight slices and KV cache, its compute threads,
 * its backend. The inventory a worker publishes when it joins.
 */
public record WorkerCapacity(String name, long memoryBytes, int threads, Backend backend) {
    public WorkerCapacity {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        if (memoryBytes <= 0 || threads <= 0) {
            throw new IllegalArgumentException("worker " + name + ": memory and threads must be positive, found "
                    + memoryBytes + " bytes and " + threads + " threads");
        }
    }
}
