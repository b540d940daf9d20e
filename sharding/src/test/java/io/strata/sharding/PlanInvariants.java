package io.strata.sharding;

import io.strata.model.arch.ModelConfig;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What every plan must satisfy, checked from the plan and the request alone (the expected stage of each
 * tensor comes from its name here, not from the planner's rules).
 */
final class PlanInvariants {
    private PlanInvariants() {}

    static void check(final PlanRequest q, final ShardPlan plan) {
        final String ctx = plan.summary();
        assertEquals(q.replicas(), plan.replicas().size(), ctx);
        for (final ReplicaPlan r : plan.replicas()) {
            layersContiguous(q, r, ctx);
            everyElementOwnedOnce(q, r, ctx);
            for (final StagePlan s : r.stages()) {
                assertEquals(q.tensorParallel(), s.ranks().size(), ctx);
                for (final RankPlan k : s.ranks()) {
                    slicesOnTheirStage(q, r, s, k, ctx);
                    cutsOnBlockBoundaries(q, k, ctx);
                    sliceSpansMatchTheShare(q, s, k, ctx);
                    withinBudget(q, s, k, ctx);
                }
            }
        }
        workersUsedOnce(q, plan, ctx);
    }

    private static void layersContiguous(final PlanRequest q, final ReplicaPlan r, final String ctx) {
        long next = 0;
        for (final StagePlan s : r.stages()) {
            assertEquals(next, s.layers().start(), "stage " + s.stage() + " starts where the previous ended\n" + ctx);
            assertTrue(s.layers().length() >= 1, "stage " + s.stage() + " has a layer\n" + ctx);
            next = s.layers().end();
        }
        assertEquals(q.model().config().layerCount(), next, "stages cover all layers\n" + ctx);
        assertEquals(q.pipelineParallel(), r.stages().size(), ctx);
    }

    /** Per tensor: OWNED rectangles disjoint and covering it, or a REPLICATED full copy on every rank holding it. */
    private static void everyElementOwnedOnce(final PlanRequest q, final ReplicaPlan r, final String ctx) {
        final Map<String, List<TensorSlice>> owned = new TreeMap<>();
        final Map<String, List<TensorSlice>> tied = new TreeMap<>();
        final Map<String, Integer> replicatedCopies = new TreeMap<>();
        for (final StagePlan s : r.stages()) {
            for (final RankPlan k : s.ranks()) {
                for (final TensorSlice t : k.slices()) {
                    switch (t.role()) {
                        case OWNED -> owned.computeIfAbsent(t.tensor(), x -> new ArrayList<>()).add(t);
                        case TIED_OUTPUT -> tied.computeIfAbsent(t.tensor(), x -> new ArrayList<>()).add(t);
                        case REPLICATED -> {
                            final WeightTensor w = q.model().tensor(t.tensor());
                            assertEquals(Span.of(0, w.rows()), t.rows(), t.tensor() + " copy is whole\n" + ctx);
                            assertEquals(Span.of(0, w.columns()), t.columns(), t.tensor() + " copy is whole\n" + ctx);
                            replicatedCopies.merge(t.tensor(), 1, Integer::sum);
                        }
                    }
                }
            }
        }
        for (final WeightTensor w : q.model().tensors().values()) {
            final int holders = holdingStages(q, r, w.name()) * q.tensorParallel();
            if (replicatedCopies.containsKey(w.name())) {
                assertFalse(owned.containsKey(w.name()), w.name() + " is both copied and owned\n" + ctx);
                assertEquals(holders, replicatedCopies.get(w.name()), w.name() + ": one copy per rank of its stages\n" + ctx);
            } else {
                coveredExactlyOnce(w, owned.getOrDefault(w.name(), List.of()), ctx);
            }
        }
        if (q.model().tiedOutput()) {
            final WeightTensor emb = q.model().tensor(TensorRules.TOKEN_EMBEDDING);
            coveredExactlyOnce(emb, tied.getOrDefault(emb.name(), List.of()), ctx);
        } else {
            assertTrue(tied.isEmpty(), "no tied slices without a tied head\n" + ctx);
        }
    }

    private static int holdingStages(final PlanRequest q, final ReplicaPlan r, final String tensor) {
        if (tensor.startsWith("blk.")) {
            return 1;
        }
        return tensor.equals("rope_freqs.weight") ? r.stages().size() : 1;
    }

    private static void coveredExactlyOnce(final WeightTensor w, final List<TensorSlice> slices, final String ctx) {
        long area = 0;
        for (int i = 0; i < slices.size(); i++) {
            final TensorSlice a = slices.get(i);
            assertTrue(a.rows().end() <= w.rows() && a.columns().end() <= w.columns(), w.name() + " slice in bounds\n" + ctx);
            area += a.rows().length() * a.columns().length();
            for (int j = i + 1; j < slices.size(); j++) {
                final TensorSlice b = slices.get(j);
                if (a.rows().overlaps(b.rows()) && a.columns().overlaps(b.columns())) {
                    fail(w.name() + ": two ranks own " + a.rows() + "x" + a.columns() + " and " + b.rows() + "x"
                            + b.columns() + "\n" + ctx);
                }
            }
        }
        assertEquals(w.elements(), area, w.name() + ": owned elements add up to the tensor\n" + ctx);
    }

    private static void slicesOnTheirStage(final PlanRequest q, final ReplicaPlan r, final StagePlan s,
                                           final RankPlan k, final String ctx) {
        final boolean first = s.stage() == 0;
        final boolean last = s.stage() == r.stages().size() - 1;
        for (final TensorSlice t : k.slices()) {
            final String n = t.tensor();
            final boolean right;
            if (n.startsWith("blk.")) {
                right = s.layers().contains(Long.parseLong(n.substring(4, n.indexOf('.', 4))));
            } else if (n.equals("token_embd.weight")) {
                right = t.role() == TensorSlice.Role.TIED_OUTPUT ? last : first;
            } else if (n.equals("output.weight") || n.equals("output_norm.weight")) {
                right = last;
            } else {
                right = n.equals("rope_freqs.weight");
            }
            assertTrue(right, n + " is not where it belongs: stage " + s.stage() + "\n" + ctx);
        }
    }

    private static void cutsOnBlockBoundaries(final PlanRequest q, final RankPlan k, final String ctx) {
        for (final TensorSlice t : k.slices()) {
            final WeightTensor w = q.model().tensor(t.tensor());
            assertEquals(w.type(), t.type(), ctx);
            final int block = w.type().blockSize();
            assertEquals(0, t.columns().start() % block, t.tensor() + " column start on a block boundary\n" + ctx);
            assertEquals(0, t.columns().end() % block, t.tensor() + " column end on a block boundary\n" + ctx);
        }
    }

    /** q rows = attention output columns = the rank's query heads; k, v rows = its KV heads; gate, up rows = down columns. */
    private static void sliceSpansMatchTheShare(final PlanRequest q, final StagePlan s, final RankPlan k, final String ctx) {
        final ModelConfig c = q.model().config();
        final int hd = c.headDim();
        final RankShare share = k.share();
        assertEquals(share.kvHeads(), Span.of(share.queryHeads().start() / c.groupSize(),
                share.queryHeads().end() / c.groupSize()), "query heads use only the rank's KV heads\n" + ctx);
        for (long l = s.layers().start(); l < s.layers().end(); l++) {
            final String p = "blk." + l + ".";
            assertEquals(share.queryHeads().times(hd), k.slice(p + "attn_q.weight", TensorSlice.Role.OWNED).rows(), ctx);
            assertEquals(share.queryHeads().times(hd), k.slice(p + "attn_output.weight", TensorSlice.Role.OWNED).columns(), ctx);
            assertEquals(share.kvHeads().times(hd), k.slice(p + "attn_k.weight", TensorSlice.Role.OWNED).rows(), ctx);
            assertEquals(share.kvHeads().times(hd), k.slice(p + "attn_v.weight", TensorSlice.Role.OWNED).rows(), ctx);
            final Span ffn = k.slice(p + "ffn_down.weight", TensorSlice.Role.OWNED).columns();
            assertEquals(ffn, k.slice(p + "ffn_gate.weight", TensorSlice.Role.OWNED).rows(), ctx);
            assertEquals(ffn, k.slice(p + "ffn_up.weight", TensorSlice.Role.OWNED).rows(), ctx);
            assertEquals(share.ffn(), ffn, ctx);
        }
    }

    /** Recomputes the estimate from the slices and the model's types, and holds it against the budget. */
    private static void withinBudget(final PlanRequest q, final StagePlan s, final RankPlan k, final String ctx) {
        final WorkerCapacity w = q.workers().stream().filter(x -> x.name().equals(k.worker())).findFirst().orElseThrow();
        final Set<List<Object>> regions = new HashSet<>();
        long weights = 0;
        for (final TensorSlice t : k.slices()) {
            if (regions.add(List.of(t.tensor(), t.rows(), t.columns()))) {
                final WeightTensor tensor = q.model().tensor(t.tensor());
                weights += t.rows().length() * (t.columns().length() / tensor.type().blockSize()) * tensor.type().typeSize();
            }
        }
        // KvCache: keys for the context, values for the context rounded up to 32 positions, F32.
        final long valuePositions = (q.contextLength() + 31) / 32 * 32;
        final long kv = s.layers().length() * q.slots() * (q.contextLength() + valuePositions)
                * k.share().kvHeads().length() * q.model().config().headDim() * Float.BYTES;
        assertEquals(weights, k.memory().weightBytes(), k.worker() + " weight bytes\n" + ctx);
        assertEquals(kv, k.memory().kvCacheBytes(), k.worker() + " KV bytes\n" + ctx);
        assertEquals(w.memoryBytes(), k.memory().budgetBytes(), ctx);
        assertTrue(weights + kv + q.reserveBytes() <= w.memoryBytes(), k.worker() + " fits its budget\n" + ctx);
    }

    private static void workersUsedOnce(final PlanRequest q, final ShardPlan plan, final String ctx) {
        final List<String> used = new ArrayList<>();
        plan.replicas().forEach(r -> r.stages().forEach(s -> s.ranks().forEach(k -> used.add(k.worker()))));
        used.addAll(plan.standbyWorkers());
        assertEquals(q.workers().stream().map(WorkerCapacity::name).toList(), used,
                "every worker placed once, in inventory order\n" + ctx);
    }
}
