package io.strata.sharding;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Many random seeded models and inventories: every plan the planner returns satisfies {@link PlanInvariants};
 * every refusal is one of the documented kinds, and a memory refusal goes away with more memory.
 */
class ShardPlannerPropertyTest {
    private static final int CASES = 250;

    record Outcome(int plans, int memoryRefusals, int splitRefusals) {}

    static PlanRequest randomRequest(final long seed) {
        final Random rnd = new Random(seed);
        final ModelTensors model = TestModels.random(rnd);
        final int layers = model.config().layerCount();
        final int pp = 1 + rnd.nextInt(Math.min(layers, 4));
        final int tp = TestModels.pickInt(rnd, 1, 1, 2, 2, 3, 4, 8);
        final int replicas = 1 + rnd.nextInt(2);
        final int ctx = 16 + rnd.nextInt(512);
        final int slots = 1 + rnd.nextInt(8);
        final long modelBytes = model.tensors().values().stream().mapToLong(WeightTensor::bytes).sum();
        final long kvBytes = (long) layers * slots * ctx * model.config().kvDim() * 2 * Float.BYTES;
        final long fair = (modelBytes + kvBytes) / ((long) pp * tp) + 1;
        final List<WorkerCapacity> workers = new ArrayList<>();
        final int n = replicas * pp * tp + rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            final double factor = 0.7 + rnd.nextDouble() * 2.5;
            workers.add(new WorkerCapacity("w" + i, (long) (fair * factor), 1 + rnd.nextInt(8),
                    TestModels.pick(rnd, Backend.values())));
        }
        final long reserve = rnd.nextBoolean() ? 0 : fair / 10;
        return new PlanRequest(seed, model, workers, replicas, pp, tp, ctx, slots, reserve);
    }

    @Test
    void everyPlanOwnsEachElementOnceFitsBudgetsAndKeepsLayersContiguous() {
        int plans = 0;
        int memory = 0;
        int split = 0;
        for (long seed = 1; seed <= CASES; seed++) {
            final PlanRequest q = randomRequest(seed);
            try {
                PlanInvariants.check(q, ShardPlanner.plan(q));
                plans++;
            } catch (final PlanException e) {
                final String m = e.getMessage();
                if (m.startsWith("worker ") && m.contains(" needs ") && m.contains("its budget is")) {
                    memory++;
                    assertPlansWithMoreMemory(q, m);
                } else if (m.startsWith("tensor_parallel ") && m.contains("; use ")) {
                    split++;
                } else {
                    fail("seed " + seed + ": unexpected refusal: " + m);
                }
            }
        }
        final Outcome o = new Outcome(plans, memory, split);
        assertTrue(plans >= CASES / 4 && memory >= 10 && split >= 10, "the cases exercise every path: " + o);
    }

    private static void assertPlansWithMoreMemory(final PlanRequest q, final String refusal) {
        final List<WorkerCapacity> roomy = q.workers().stream()
                .map(w -> new WorkerCapacity(w.name(), w.memoryBytes() * 64, w.threads(), w.backend())).toList();
        final PlanRequest more = new PlanRequest(q.version(), q.model(), roomy, q.replicas(), q.pipelineParallel(),
                q.tensorParallel(), q.contextLength(), q.slots(), q.reserveBytes());
        try {
            PlanInvariants.check(more, ShardPlanner.plan(more));
        } catch (final PlanException e) {
            fail("refused for memory (" + refusal + ") but 64x the memory is refused too: " + e.getMessage());
        }
    }

    @Test
    void theSameRequestGivesTheSamePlanAndTheSameJson() {
        for (long seed = 1; seed <= 30; seed++) {
            final PlanRequest a = randomRequest(seed);
            final PlanRequest b = randomRequest(seed);
            try {
                final ShardPlan p = ShardPlanner.plan(a);
                assertEquals(p, ShardPlanner.plan(b), "seed " + seed);
                assertEquals(ShardPlanJson.write(p), ShardPlanJson.write(ShardPlanner.plan(b)), "seed " + seed);
            } catch (final PlanException e) {
                final PlanException again = org.junit.jupiter.api.Assertions.assertThrows(PlanException.class,
                        () -> ShardPlanner.plan(b));
                assertEquals(e.getMessage(), again.getMessage(), "seed " + seed);
            }
        }
    }
}
