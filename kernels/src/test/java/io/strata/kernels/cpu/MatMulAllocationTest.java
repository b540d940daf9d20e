package io.strata.kernels.cpu;

import io.strata.kernels.WeightMatrix;
import io.strata.model.tensor.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A decode (or prefill) loop of {@link MatMul#apply} must not allocate once compiled: it runs per layer per token. */
class MatMulAllocationTest {
    private static final long SLACK_BYTES = 1_024;

    @ParameterizedTest(name = "{0}, {1} token(s), {2} thread(s), {3} rows")
    @CsvSource({
            "Q8_0, 1, 1, 256", "Q4_0, 1, 1, 256", "Q4_K, 1, 1, 256", "Q6_K, 1, 1, 256", "F32, 1, 1, 256",
            "F16, 1, 1, 256", "Q5_1, 1, 1, 256", "Q4_0, 1, 2, 256", "Q4_K, 1, 2, 256",
            "Q8_0, 5, 1, 256", "Q4_0, 5, 1, 256", "Q4_K, 5, 1, 256", "Q6_K, 5, 2, 256",
            // the token tiles (8 and 4 tokens, remainders) and the chunked batch loop; 250 rows: plain Q4_0
            "Q8_0, 13, 1, 256", "Q4_0, 13, 1, 256", "Q4_0, 13, 2, 250", "Q8_0, 20, 2, 256", "Q4_0, 20, 1, 250",
            "Q4_K, 13, 1, 256", "Q6_K, 13, 1, 256",
    })
    void matMulLoopDoesNotAllocateAfterWarmUp(GgmlType type, int tokens, int threads, int rows) {
        Random rnd = new Random(17);
        // rows a multiple of 8: Q4_0 takes the repacked kernel
        int cols = 1024;
        WeightMatrix w = new WeightMatrix("w", type, WeightRows.random(type, rows, cols, rnd, 0.02f), rows, cols);
        Activations a = WeightRows.gaussian(tokens, cols, rnd);
        float[] out = new float[tokens * rows];
        try (ThreadTeam team = new ThreadTeam(threads)) {
            MatMul m = new MatMul(team, true);
            Runnable step = () -> {
                a.changed(); // as in the forward pass: new activations, converted again
                m.apply(w, a, tokens, out, rows);
            };
            for (int i = 0; i < 2_000; i++) {
                step.run();
            }
            AllocationProbe probe = new AllocationProbe();
            long bytes = probe.steadyStateBytes(step, 200, 50, SLACK_BYTES);
            assertTrue(bytes <= SLACK_BYTES, type + ": " + bytes + " bytes allocated in 200 products ("
                    + probe.jitState() + ")");
        }
    }
}
