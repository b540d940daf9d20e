package io.strata.sharding;

import java.util.List;
import java.util.Objects;

/**
 * Everything the planner decides from.
 *
 * @param version          the plan's version number
 * @param workers          the inventory, in placement order: replica 0 stage 0 ranks first, then stage 1, ...;
 *                         workers beyond replicas x pipelineParallel x tensorParallel are on standby
 * @param contextLength    tokens of KV cache per slot
 * @param slots            sequences a replica serves at once (each with a KV cache on every rank)
 * @param reserveBytes     memory each worker keeps outside weights and KV cache (activations, runtime)
 */
public record PlanRequest(
        long version,
        ModelTensors model,
        List<WorkerCapacity> workers,
        int replicas,
        int pipelineParallel,
        int tensorParallel,
        int contextLength,
        int slots,
        long reserveBytes) {

    public PlanRequest {
        Objects.requireNonNull(model, "model");
        workers = List.copyOf(workers);
    }
}
