package io.strata.sharding;

import io.strata.model.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardPlanJsonTest {
    private static ShardPlan samplePlan() {
        final ModelTensors m = ModelTensors.standard("m", TestModels.config(4, 4, 2, 16, 64, 128, 100),
                GgmlType.Q8_0, GgmlType.F16, true);
        return ShardPlanner.plan(new PlanRequest(7, m, TestModels.workers(5, TestModels.GIB, 2), 1, 2, 2, 256, 2, 0));
    }

    @Test
    void aPlanSurvivesTheRoundTripThroughJson() {
        final ShardPlan p = samplePlan();
        assertEquals(p, ShardPlanJson.read(ShardPlanJson.write(p)));
    }

    @Test
    void theJsonCarriesFormatAndVersionAndWritesSpansAsPairs() {
        final String json = ShardPlanJson.write(samplePlan());
        assertTrue(json.startsWith("{\"format\":1,\"version\":7,"), json.substring(0, 40));
        assertTrue(json.contains("\"layers\":[0,2]"), json);
        assertTrue(json.contains("{\"tensor\":\"blk.0.attn_k.weight\",\"type\":\"Q8_0\",\"role\":\"OWNED\",\"rows\":[16,32],\"columns\":[0,64]"), json);
        assertTrue(json.contains("\"standbyWorkers\":[\"w5\"]"), json);
    }

    @Test
    void anotherFormatIsRefusedByNumberAndGarbageIsRefused() {
        final String json = ShardPlanJson.write(samplePlan()).replaceFirst("\"format\":1", "\"format\":2");
        assertEquals("shard plan format 2 is not the one this build reads (1)",
                assertThrows(IllegalArgumentException.class, () -> ShardPlanJson.read(json)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShardPlanJson.read("{\"version\":1}")).getMessage()
                .contains("no format number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShardPlanJson.read("[1,"))
                .getMessage().startsWith("not a shard plan"));
        final String extra = ShardPlanJson.write(samplePlan()).replaceFirst("\"version\":7", "\"version\":7,\"leader\":\"x\"");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShardPlanJson.read(extra)).getMessage()
                .contains("leader"));
    }
}
