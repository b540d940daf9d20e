package io.strata.sharding;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Who computes what: {@code replicas} x pipeline stages x tensor-parallel ranks, each rank a worker with its
 * weight slices. {@code version} is the placement's number (the leader coordinator increments it on every
 * re-plan, and every data-plane message carries it); {@code format} is the layout of this record in JSON
 * ({@link ShardPlanJson}).
 *
 * @param tiedOutput     the model has no output.weight: the last stage uses token_embd rows as its output head
 * @param standbyWorkers workers of the inventory that the plan does not use, in inventory order
 */
public record ShardPlan(
        int format,
        long version,
        String model,
        int layerCount,
        int pipelineParallel,
        int tensorParallel,
        int contextLength,
        int slots,
        boolean tiedOutput,
        List<ReplicaPlan> replicas,
        List<String> standbyWorkers) {

    /** The JSON layout written by this build. */
    public static final int FORMAT = 1;

    public ShardPlan {
        Objects.requireNonNull(model, "model");
        replicas = List.copyOf(replicas);
        standbyWorkers = List.copyOf(standbyWorkers);
    }

    /** Where a worker sits in the plan. */
    public record Assignment(int replica, int stage, int rank, StagePlan stagePlan, RankPlan rankPlan) {}

    /** The worker's place, or empty when it is on standby or unknown. */
    public Optional<Assignment> assignmentOf(final String worker) {
        for (final ReplicaPlan r : replicas) {
            for (final StagePlan s : r.stages()) {
                for (final RankPlan k : s.ranks()) {
                    if (k.worker().equals(worker)) {
                        return Optional.of(new Assignment(r.replica(), s.stage(), k.rank(), s, k));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** One line per rank: "replica 0 stage 1 rank 0 w3: layers [3, 5), heads [0, 4), kv [0, 2), ffn [0, 86), ...". */
    public String summary() {
        final StringBuilder b = new StringBuilder();
        b.append("plan v").append(version).append(' ').append(model).append(": ").append(replicas.size())
                .append(" replica(s) x ").append(pipelineParallel).append(" stage(s) x ").append(tensorParallel)
                .append(" rank(s)\n");
        for (final ReplicaPlan r : replicas) {
            for (final StagePlan s : r.stages()) {
                for (final RankPlan k : s.ranks()) {
                    b.append("replica ").append(r.replica()).append(" stage ").append(s.stage()).append(" rank ")
                            .append(k.rank()).append(' ').append(k.worker()).append(": layers ").append(s.layers())
                            .append(", heads ").append(k.share().queryHeads())
                            .append(", kv ").append(k.share().kvHeads())
                            .append(", ffn ").append(k.share().ffn()).append(", vocab ").append(k.share().vocab())
                            .append(", ").append(Bytes.format(k.memory().totalBytes())).append(" of ")
                            .append(Bytes.format(k.memory().budgetBytes())).append('\n');
                }
            }
        }
        if (!standbyWorkers.isEmpty()) {
            b.append("standby: ").append(String.join(", ", standbyWorkers)).append('\n');
        }
        return b.toString();
    }
}
