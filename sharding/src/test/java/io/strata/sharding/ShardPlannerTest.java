package io.strata.sharding;

import io.strata.model.arch.ModelConfig;
import io.strata.model.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.strata.sharding.TestModels.GIB;
import static io.strata.sharding.TestModels.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardPlannerTest {

    private static ShardPlan plan(final PlanRequest q) {
        final ShardPlan p = ShardPlanner.plan(q);
        PlanInvariants.check(q, p);
        return p;
    }

    private static String refusal(final PlanRequest q) {
        return assertThrows(PlanException.class, () -> ShardPlanner.plan(q)).getMessage();
    }

    private static List<Span> layers(final ShardPlan p, final int replica) {
        return p.replicas().get(replica).stages().stream().map(StagePlan::layers).toList();
    }

    @Test
    void oneWorkerHoldsEveryTensorWhole() {
        final ModelTensors m = TestModels.llama1b(GgmlType.Q8_0);
        final ShardPlan p = plan(TestModels.request(m, TestModels.workers(1, 8 * GIB, 2), 1, 1, 1));
        final RankPlan only = p.replicas().getFirst().stages().getFirst().ranks().getFirst();
        for (final WeightTensor t : m.tensors().values()) {
            final TensorSlice s = only.slices().stream().filter(x -> x.tensor().equals(t.name())
                    && x.role() != TensorSlice.Role.TIED_OUTPUT).findFirst().orElseThrow();
            assertEquals(Span.of(0, t.rows()), s.rows(), t.name());
            assertEquals(Span.of(0, t.columns()), s.columns(), t.name());
        }
        assertEquals(m.tensors().values().stream().mapToLong(WeightTensor::bytes).sum(), only.memory().weightBytes(),
                "a tied head on the embedding's own rank is counted once");
    }

    @Test
    void layersFollowThreadsWhenMemoryIsPlentiful() {
        final ModelConfig c = TestModels.config(8, 4, 4, 16, 64, 128, 100);
        final ModelTensors m = ModelTensors.standard("m", c, GgmlType.F32, GgmlType.F32, false);
        final List<WorkerCapacity> w = List.of(new WorkerCapacity("slow", GIB, 1, Backend.CPU),
                new WorkerCapacity("fast", GIB, 3, Backend.CPU));
        assertEquals(List.of(Span.of(0, 2), Span.of(2, 8)), layers(plan(TestModels.request(m, w, 1, 2, 1)), 0));
        assertEquals(List.of(Span.of(0, 6), Span.of(6, 8)),
                layers(plan(TestModels.request(m, List.of(w.get(1), w.get(0)), 1, 2, 1)), 0));
    }

    @Test
    void aStageTakesFewerLayersThanItsSpeedWouldGiveWhenItsMemoryIsShort() {
        final ModelTensors m = TestModels.llama1b(GgmlType.Q8_0);
        final long layer = m.tensors().values().stream().filter(t -> t.name().startsWith("blk.0."))
                .mapToLong(WeightTensor::bytes).sum();
        final long embedding = m.tensor("token_embd.weight").bytes();
        final long kvPerLayer = 512L * 4 * m.config().kvDim() * 2 * Float.BYTES;
        final long fourLayers = embedding + 4 * (layer + kvPerLayer) + MIB;
        final List<WorkerCapacity> w = List.of(new WorkerCapacity("fast-small", fourLayers, 8, Backend.CPU),
                new WorkerCapacity("slow-big", 8 * GIB, 1, Backend.CPU));
        assertEquals(List.of(Span.of(0, 4), Span.of(4, 16)), layers(plan(TestModels.request(m, w, 1, 2, 1)), 0));
    }

    @Test
    void aWorkerThatCannotFitIsNamedWithWhatItNeedsAndTheRemedy() {
        final ModelTensors m = TestModels.llama1b(GgmlType.Q8_0);
        final List<WorkerCapacity> w = List.of(new WorkerCapacity("w1", 8 * GIB, 1, Backend.CPU),
                new WorkerCapacity("w2", GIB, 1, Backend.CPU));
        final String m1 = refusal(TestModels.request(m, List.of(w.get(1)), 1, 1, 1));
        final Matcher need = Pattern.compile("worker w2 needs ([0-9.]+) GiB \\(.*\\), its budget is 1 GiB: "
                + "raise memory or add a pipeline stage").matcher(m1);
        assertTrue(need.matches(), m1);
        final long total = m.tensors().values().stream().mapToLong(WeightTensor::bytes).sum()
                + 16L * 512 * 4 * m.config().kvDim() * 2 * Float.BYTES;
        assertEquals(Math.round(total * 10.0 / GIB) / 10.0, Double.parseDouble(need.group(1)), m1);
        // Two stages fit (plan checks every budget).
        plan(TestModels.request(m, w, 1, 2, 1));
    }

    @Test
    void aTensorParallelCountThatSplitsAKvHeadIsRefusedWithTheCountsThatWork() {
        final ModelTensors m = TestModels.llama1b(GgmlType.F32);
        assertEquals("tensor_parallel 3 does not divide the 8 KV heads; use 1, 2, 4 or 8",
                refusal(TestModels.request(m, TestModels.workers(3, 64 * GIB, 1), 1, 1, 3)));
    }

    @Test
    void aColumnCutThroughAQuantizationBlockIsRefused() {
        final ModelConfig c = TestModels.config(2, 8, 8, 64, 512, 1024, 1000);
        final ModelTensors m = ModelTensors.standard("q4k", c, GgmlType.Q4_K, GgmlType.Q6_K, false);
        assertEquals("tensor_parallel 4 would give rank 0 columns [0, 128) of blk.0.attn_output.weight, which is Q4_K"
                        + " in blocks of 256 columns (a quantized row is cut only at block boundaries); use 1 or 2",
                refusal(TestModels.request(m, TestModels.workers(4, 64 * GIB, 1), 1, 1, 4)));
        final ShardPlan two = plan(TestModels.request(m, TestModels.workers(2, 64 * GIB, 1), 1, 1, 2));
        assertEquals(Span.of(256, 512), two.replicas().getFirst().stages().getFirst().ranks().get(1)
                .slice("blk.1.attn_output.weight", TensorSlice.Role.OWNED).columns());
    }

    @Test
    void theFeedForwardSplitFallsOnTheCoarsestBlockOfTheTensorsCutAlongIt() {
        final ModelConfig c = TestModels.config(2, 4, 4, 32, 256, 768, 64);
        final List<WeightTensor> t = new ArrayList<>(ModelTensors.standard("mix", c, GgmlType.Q8_0, GgmlType.Q8_0, false)
                .tensors().values());
        t.replaceAll(x -> x.name().equals("blk.1.ffn_down.weight") ? new WeightTensor(x.name(), GgmlType.Q6_K, 768, 256) : x);
        final ModelTensors m = ModelTensors.of("mix", c, t);
        final ShardPlan p = plan(TestModels.request(m, TestModels.workers(2, 64 * GIB, 1), 1, 1, 2));
        final List<RankPlan> ranks = p.replicas().getFirst().stages().getFirst().ranks();
        // Q6_K's blocks of 256 rule: 768 = 3 blocks, split 1 + 2, in every layer (also the Q8_0 one).
        assertEquals(Span.of(0, 256), ranks.get(0).share().ffn());
        assertEquals(Span.of(256, 768), ranks.get(1).slice("blk.0.ffn_down.weight", TensorSlice.Role.OWNED).columns());
    }

    @Test
    void workersArePlacedInInventoryOrderAndTheRestStandBy() {
        final ModelConfig c = TestModels.config(4, 4, 4, 16, 64, 128, 100);
        final ModelTensors m = ModelTensors.standard("m", c, GgmlType.F32, GgmlType.F32, false);
        final ShardPlan p = plan(TestModels.request(m, TestModels.workers(10, GIB, 1), 2, 2, 2));
        assertEquals(List.of("w9", "w10"), p.standbyWorkers());
        final ShardPlan.Assignment a = p.assignmentOf("w6").orElseThrow();
        assertEquals(List.of(1, 0, 1), List.of(a.replica(), a.stage(), a.rank()));
        assertTrue(p.assignmentOf("w9").isEmpty());
    }

    @Test
    void aTiedHeadIsMappedAgainOnTheLastStageAndAnUntiedOneIsNot() {
        final ModelConfig c = TestModels.config(4, 4, 4, 16, 64, 128, 100);
        final ModelTensors tied = ModelTensors.standard("t", c, GgmlType.F32, GgmlType.F32, true);
        final ShardPlan p = plan(TestModels.request(tied, TestModels.workers(2, GIB, 1), 1, 2, 1));
        final RankPlan last = p.replicas().getFirst().stages().get(1).ranks().getFirst();
        assertNotNull(last.slice("token_embd.weight", TensorSlice.Role.TIED_OUTPUT));
        assertNull(last.slice("token_embd.weight", TensorSlice.Role.OWNED));
        assertTrue(p.tiedOutput());
        final ModelTensors untied = ModelTensors.standard("u", c, GgmlType.F32, GgmlType.F32, false);
        final ShardPlan q = plan(TestModels.request(untied, TestModels.workers(2, GIB, 1), 1, 2, 1));
        final RankPlan lastU = q.replicas().getFirst().stages().get(1).ranks().getFirst();
        assertNull(lastU.slice("token_embd.weight", TensorSlice.Role.TIED_OUTPUT));
        assertNotNull(lastU.slice("output.weight", TensorSlice.Role.OWNED));
    }

    @Test
    void requestsThatCannotBePlannedSayWhy() {
        final ModelConfig c = TestModels.config(4, 4, 4, 16, 64, 128, 100);
        final ModelTensors m = ModelTensors.standard("m", c, GgmlType.F32, GgmlType.F32, false);
        assertEquals("pipeline_parallel 5 is more than the 4 layers of m; use at most 4 stages",
                refusal(TestModels.request(m, TestModels.workers(5, GIB, 1), 1, 5, 1)));
        assertEquals("replicas 2 x pipeline_parallel 2 x tensor_parallel 2 needs 8 workers, the inventory has 6;"
                + " add workers or lower one of the three", refusal(TestModels.request(m, TestModels.workers(6, GIB, 1), 2, 2, 2)));
        final List<WorkerCapacity> twice = List.of(new WorkerCapacity("a", GIB, 1, Backend.CPU),
                new WorkerCapacity("a", GIB, 1, Backend.CUDA));
        assertEquals("worker name a appears twice in the inventory", refusal(TestModels.request(m, twice, 1, 2, 1)));
    }

    @Test
    void aModelWithAnUnknownMissingOrMisshapenTensorIsRefusedByName() {
        final ModelConfig c = TestModels.config(2, 4, 4, 16, 64, 128, 100);
        final List<WeightTensor> base = new ArrayList<>(ModelTensors.standard("m", c, GgmlType.F32, GgmlType.F32, false)
                .tensors().values());
        final List<WeightTensor> extra = new ArrayList<>(base);
        extra.add(new WeightTensor("blk.0.ffn_gate_exps.weight", GgmlType.F32, 64, 8));
        assertTrue(refusal(TestModels.request(ModelTensors.of("m", c, extra), TestModels.workers(1, GIB, 1), 1, 1, 1))
                .startsWith("tensor blk.0.ffn_gate_exps.weight has no sharding rule"));
        final List<WeightTensor> missing = new ArrayList<>(base);
        missing.removeIf(t -> t.name().equals("blk.1.ffn_up.weight"));
        assertEquals("model m lacks required tensors: blk.1.ffn_up.weight",
                refusal(TestModels.request(ModelTensors.of("m", c, missing), TestModels.workers(1, GIB, 1), 1, 1, 1)));
        final List<WeightTensor> wrong = new ArrayList<>(base);
        wrong.replaceAll(t -> t.name().equals("blk.0.attn_k.weight") ? new WeightTensor(t.name(), GgmlType.F32, 64, 32) : t);
        assertEquals("tensor blk.0.attn_k.weight has 32 rows, the hyperparameters say 4 KV heads x 16 = 64",
                refusal(TestModels.request(ModelTensors.of("m", c, wrong), TestModels.workers(1, GIB, 1), 1, 1, 1)));
    }

    @Test
    void replicasArePlannedAlikeWhenTheirWorkersAreAlike() {
        final ModelTensors m = TestModels.llama1b(GgmlType.Q4_0);
        final ShardPlan p = plan(TestModels.request(m, TestModels.workers(8, 4 * GIB, 2), 2, 2, 2));
        assertEquals(layers(p, 0), layers(p, 1));
        assertEquals(p.replicas().get(0).stages().get(1).ranks().get(1).slices(),
                p.replicas().get(1).stages().get(1).ranks().get(1).slices());
    }
}
