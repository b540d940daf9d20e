package io.strata.cluster.config;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The operator's cluster file, validated: who runs where, which model, and how it is split.
 *
 * @param clusterName      Hazelcast cluster name; a process with another name is refused when it joins
 * @param model            a GGUF path, or a model name looked up on {@code STRATA_MODEL_PATH}
 * @param contextLength    tokens of KV cache per slot; empty means the model's own context length
 * @param slots            sequences each replica serves at once (KV caches it reserves)
 * @param replicas         independent copies of the model; each takes pipelineParallel x tensorParallel workers
 * @param pipelineParallel stages per replica (consecutive layer ranges)
 * @param tensorParallel   ranks per stage (each holds a slice of every weight of the stage)
 */
public record ClusterConfig(
        String clusterName,
        HazelcastSettings hazelcast,
        List<CoordinatorSpec> coordinators,
        List<WorkerSpec> workers,
        String model,
        OptionalInt contextLength,
        int slots,
        int replicas,
        int pipelineParallel,
        int tensorParallel) {

    public ClusterConfig {
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(hazelcast, "hazelcast");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(contextLength, "contextLength");
        coordinators = List.copyOf(coordinators);
        workers = List.copyOf(workers);
    }

    /** Workers the plan uses: replicas x pipeline stages x tensor-parallel ranks. */
    public int workersNeeded() {
        return replicas * pipelineParallel * tensorParallel;
    }

    /** The worker with this name, or null. */
    public WorkerSpec worker(final String name) {
        return workers.stream().filter(w -> w.name().equals(name)).findFirst().orElse(null);
    }
}
