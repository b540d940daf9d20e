package io.strata.sharding;

import io.strata.model.arch.ModelConfig;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a model and a worker inventory into a {@link ShardPlan}, or refuses with a {@link PlanException} that
 * says what would make a plan fit. Pure: no I/O, no clock, no randomness; the same request gives the same plan.
 *
 * <ol>
 *   <li>Check the request (counts, names, enough workers, no more stages than layers).</li>
 *   <li>Give every tensor its rule ({@link TensorRules}) and split heads, feed-forward rows and vocabulary among
 *       the tensor-parallel ranks ({@link TensorParallelSplit}); the same split serves every stage.</li>
 *   <li>Per replica, take the next pipelineParallel x tensorParallel workers of the inventory, stage by stage,
 *       and choose contiguous layer ranges ({@link PipelineSplit}) so that every worker fits its budget.</li>
 *   <li>Write each rank's slices and memory estimate.</li>
 * </ol>
 */
public final class ShardPlanner {

    private ShardPlanner() {}

    public static ShardPlan plan(final PlanRequest request) {
        checkRequest(request);
        final ModelTensors model = request.model();
        final List<TensorRules.Placement> placements = TensorRules.placements(model);
        final TensorParallelSplit split = TensorParallelSplit.of(model, placements, request.tensorParallel());
        final int perReplica = request.pipelineParallel() * request.tensorParallel();
        final List<ReplicaPlan> replicas = new ArrayList<>();
        for (int r = 0; r < request.replicas(); r++) {
            final List<WorkerCapacity> workers = request.workers().subList(r * perReplica, (r + 1) * perReplica);
            replicas.add(replica(request, placements, split, r, workers));
        }
        final List<String> standby = request.workers().stream().skip((long) request.replicas() * perReplica)
                .map(WorkerCapacity::name).toList();
        return new ShardPlan(ShardPlan.FORMAT, request.version(), model.name(), model.config().layerCount(),
                request.pipelineParallel(), request.tensorParallel(), request.contextLength(), request.slots(),
                model.tiedOutput(), replicas, standby);
    }

    private static void checkRequest(final PlanRequest q) {
        final int layers = q.model().config().layerCount();
        if (q.replicas() < 1 || q.pipelineParallel() < 1 || q.tensorParallel() < 1) {
            throw new PlanException("replicas " + q.replicas() + ", pipeline_parallel " + q.pipelineParallel()
                    + " and tensor_parallel " + q.tensorParallel() + " must each be at least 1");
        }
        if (q.pipelineParallel() > layers) {
            throw new PlanException("pipeline_parallel " + q.pipelineParallel() + " is more than the " + layers
                    + " layers of " + q.model().name() + "; use at most " + layers + " stages");
        }
        if (q.contextLength() < 1 || q.slots() < 1 || q.reserveBytes() < 0) {
            throw new PlanException("context length " + q.contextLength() + " and slots " + q.slots()
                    + " must be positive and the reserve (" + q.reserveBytes() + " bytes) not negative");
        }
        final long needed = (long) q.replicas() * q.pipelineParallel() * q.tensorParallel();
        if (needed > q.workers().size()) {
            throw new PlanException("replicas " + q.replicas() + " x pipeline_parallel " + q.pipelineParallel()
                    + " x tensor_parallel " + q.tensorParallel() + " needs " + needed + " workers, the inventory has "
                    + q.workers().size() + "; add workers or lower one of the three");
        }
        final Set<String> names = new HashSet<>();
        for (final WorkerCapacity w : q.workers()) {
            if (!names.add(w.name())) {
                throw new PlanException("worker name " + w.name() + " appears twice in the inventory");
            }
        }
    }

    private static ReplicaPlan replica(final PlanRequest q, final List<TensorRules.Placement> placements,
                                       final TensorParallelSplit split, final int replica,
                                       final List<WorkerCapacity> workers) {
        final int pp = q.pipelineParallel();
        final int tp = q.tensorParallel();
        final ModelConfig c = q.model().config();
        final Costs costs = Costs.of(q, placements, split);
        final long[] speeds = new long[pp];
        for (int s = 0; s < pp; s++) {
            speeds[s] = workers.subList(s * tp, (s + 1) * tp).stream()
                    .mapToInt(WorkerCapacity::threads).min().orElseThrow();
        }
        final PipelineSplit.Fits fits = (s, from, to) -> {
            for (int k = 0; k < tp; k++) {
                if (costs.total(k, s == 0, s == pp - 1, from, to) > workers.get(s * tp + k).memoryBytes()) {
                    return false;
                }
            }
            return true;
        };
        final Optional<List<Span>> layers = PipelineSplit.choose(c.layerCount(), speeds, fits);
        if (layers.isEmpty()) {
            throw memoryRefusal(q, costs, workers, PipelineSplit.proportional(c.layerCount(), speeds));
        }
        final List<StagePlan> stages = new ArrayList<>();
        for (int s = 0; s < pp; s++) {
            final List<RankPlan> ranks = new ArrayList<>();
            for (int k = 0; k < tp; k++) {
                ranks.add(rank(q, placements, split, k, workers.get(s * tp + k), layers.get().get(s),
                        s == 0, s == pp - 1));
            }
            stages.add(new StagePlan(s, layers.get().get(s), s == 0, s == pp - 1, ranks));
        }
        return new ReplicaPlan(replica, stages);
    }

    private static RankPlan rank(final PlanRequest q, final List<TensorRules.Placement> placements,
                                 final TensorParallelSplit split, final int k, final WorkerCapacity worker,
                                 final Span layers, final boolean first, final boolean last) {
        final ModelConfig c = q.model().config();
        final RankShare share = split.shares().get(k);
        final List<TensorSlice> slices = new ArrayList<>(
                RankSlices.ofStage(placements, share, k, c.headDim(), first, last, q.model().tiedOutput()));
        slices.addAll(RankSlices.ofLayers(placements, share, k, c.headDim(), layers));
        final long kv = layers.length() * RankSlices.kvBytesPerLayer(share, c.headDim(), q.contextLength(), q.slots());
        final MemoryEstimate memory = new MemoryEstimate(RankSlices.weightBytes(slices), kv, q.reserveBytes(),
                worker.memoryBytes());
        return new RankPlan(k, worker.name(), share, slices, memory);
    }

    /** The refusal for a replica that no layer split fits: the worker furthest over budget in the speed-only split. */
    private static PlanException memoryRefusal(final PlanRequest q, final Costs costs,
                                               final List<WorkerCapacity> workers, final List<Span> bySpeed) {
        final int tp = q.tensorParallel();
        final int pp = q.pipelineParallel();
        int worstStage = 0;
        int worstRank = 0;
        double worstRatio = -1;
        for (int s = 0; s < pp; s++) {
            for (int k = 0; k < tp; k++) {
                final Span l = bySpeed.get(s);
                final double ratio = (double) costs.total(k, s == 0, s == pp - 1, (int) l.start(), (int) l.end())
                        / workers.get(s * tp + k).memoryBytes();
                if (ratio > worstRatio) {
                    worstRatio = ratio;
                    worstStage = s;
                    worstRank = k;
                }
            }
        }
        final Span l = bySpeed.get(worstStage);
        final boolean first = worstStage == 0;
        final boolean last = worstStage == pp - 1;
        final long total = costs.total(worstRank, first, last, (int) l.start(), (int) l.end());
        final long kv = costs.kvPerLayer(worstRank) * l.length();
        final String advice = pp < q.model().config().layerCount()
                ? "raise memory or add a pipeline stage" : "raise memory or add tensor-parallel ranks";
        return new PlanException("worker " + workers.get(worstStage * tp + worstRank).name() + " needs "
                + Bytes.format(total) + " (" + Bytes.format(total - kv - q.reserveBytes()) + " of weights for layers "
                + l + ", " + Bytes.format(kv) + " of KV cache for " + q.slots() + " slots x " + q.contextLength()
                + " tokens), its budget is " + Bytes.format(workers.get(worstStage * tp + worstRank).memoryBytes())
                + ": " + advice + (kv > total / 2 ? " (or lower slots or context_length)" : ""));
    }

    /**
     * Bytes a rank needs for a candidate layer range, from prefix sums: the stage's fixed tensors (embedding,
     * head, norms) plus each layer's slices and KV cache, plus the reserve.
     */
    private record Costs(long[][] fixed, long[][] layerPrefix, long[] kvPerLayer, long reserve) {

        static Costs of(final PlanRequest q, final List<TensorRules.Placement> placements,
                        final TensorParallelSplit split) {
            final ModelConfig c = q.model().config();
            final int tp = split.ranks();
            final long[][] fixed = new long[tp][4];
            final long[][] prefix = new long[tp][c.layerCount() + 1];
            final long[] kv = new long[tp];
            for (int k = 0; k < tp; k++) {
                final RankShare share = split.shares().get(k);
                for (int f = 0; f < 4; f++) {
                    fixed[k][f] = RankSlices.weightBytes(RankSlices.ofStage(placements, share, k, c.headDim(),
                            (f & 1) != 0, (f & 2) != 0, q.model().tiedOutput()));
                }
                kv[k] = RankSlices.kvBytesPerLayer(share, c.headDim(), q.contextLength(), q.slots());
                final long[] perLayer = new long[c.layerCount()];
                final Span allLayers = Span.of(0, c.layerCount());
                for (final TensorSlice s : RankSlices.ofLayers(placements, share, k, c.headDim(), allLayers)) {
                    perLayer[layerOf(s.tensor())] += s.bytes();
                }
                for (int l = 0; l < c.layerCount(); l++) {
                    prefix[k][l + 1] = prefix[k][l] + perLayer[l] + kv[k];
                }
            }
            return new Costs(fixed, prefix, kv, q.reserveBytes());
        }

        long total(final int rank, final boolean first, final boolean last, final int from, final int to) {
            final long stageTensors = fixed[rank][(first ? 1 : 0) | (last ? 2 : 0)];
            return stageTensors + layerPrefix[rank][to] - layerPrefix[rank][from] + reserve;
        }

        long kvPerLayer(final int rank) { return kvPerLayer[rank]; }

        private static int layerOf(final String tensor) {
            return Integer.parseInt(tensor.substring("blk.".length(), tensor.indexOf('.', "blk.".length())));
        }
    }
}
