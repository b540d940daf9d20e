package io.strata.sharding;

import io.strata.model.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.strata.sharding.TestModels.GIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plans for the model files the distributed tests will run (the shared reference models). */
class RealModelPlanTest {
    private static final Path MODELS = Path.of(System.getProperty("strata.model.path.default", "../../shared/models"));

    private static ModelTensors open(final String relative) {
        final Path p = MODELS.resolve(relative);
        assertTrue(Files.isRegularFile(p), "reference model " + p + " is missing");
        try (GgufFile f = GgufFile.open(p)) {
            return ModelTensors.fromGguf(f);
        }
    }

    private static void plansAndHolds(final ModelTensors m, final int pp, final int tp) {
        final PlanRequest q = new PlanRequest(1, m, TestModels.workers(pp * tp, GIB, 1), 1, pp, tp, 512, 8, 0);
        PlanInvariants.check(q, ShardPlanner.plan(q));
    }

    @Test
    void stories260kPlansForEveryExampleConfig() {
        final ModelTensors m = open("stories260K.gguf");
        for (final int[] split : List.of(new int[] {1, 1}, new int[] {2, 1}, new int[] {1, 2}, new int[] {2, 2},
                new int[] {5, 4})) {
            plansAndHolds(m, split[0], split[1]);
        }
        assertEquals(List.of(1, 2, 4), TensorParallelSplit.workingRankCounts(m, TensorRules.placements(m)));
    }

    @Test
    void synthKQ8AndQwen2SplitTwoWays() {
        plansAndHolds(open("synthetic/synth-k-Q8_0.gguf"), 2, 2);
        plansAndHolds(open("synthetic/synth-qwen2-Q8_0.gguf"), 1, 2);
    }

    @Test
    void synthKQ4KmCannotSplitItsAttentionOutputAcrossTwoRanks() {
        final ModelTensors m = open("synthetic/synth-k-Q4_K_M.gguf");
        plansAndHolds(m, 2, 1);
        final PlanRequest q = new PlanRequest(1, m, TestModels.workers(2, GIB, 1), 1, 1, 2, 512, 8, 0);
        final String why = assertThrows(PlanException.class, () -> ShardPlanner.plan(q)).getMessage();
        assertTrue(why.startsWith("tensor_parallel 2 would give rank 0 columns [0, 128) of blk.0.attn_output.weight,"
                + " which is Q4_K in blocks of 256 columns") && why.endsWith("; use 1"), why);
    }
}
