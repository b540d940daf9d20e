package io.strata.kernels.cpu;

import io.strata.model.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * Decode's access pattern without the rest of the model: one thread multiplies a 560 MB matrix of one weight type
 * (far beyond any cache) by one token, row by row ({@link RowKernel#dot}), through the two-place form on
 * neighbouring rows, and through it with the places half the matrix apart (what {@link MatMul} does for decode);
 * best of 5 passes each, GB/s of weights. Not a test and not a benchmark harness (the bench module has those).
 *
 * <pre>
 * ./mvnw -q -o test-compile -pl kernels
 * java --add-modules jdk.incubator.vector -cp kernels/target/classes:kernels/target/test-classes:model/target/classes \
 *     io.strata.kernels.cpu.StreamRace Q8_0
 * </pre>
 */
public final class StreamRace {
    public static void main(String[] args) {
        GgmlType type = GgmlType.valueOf(args[0]);
        int cols = 2048, rows = Integer.getInteger("rows", 8192);
        int copies = (int) (560_000_000L / type.byteSize((long) rows * cols));
        Random rnd = new Random(1);
        MemorySegment one = WeightRows.random(type, rows, cols, rnd, 0.02f);
        long mb = one.byteSize();
        MemorySegment all = Arena.global().allocate(mb * copies, 4096);
        for (int c = 0; c < copies; c++) MemorySegment.copy(one, 0, all, c * mb, mb);
        int n = rows * copies;
        RowKernel k = RowKernel.forWeights(type, rows, true, false);
        long rb = type.byteSize(cols);
        DotOperand x = WeightRows.gaussian(1, cols, rnd).operandFor(type, 1);
        float[] out = new float[n];
        int g = k.streamRows();
        Runnable byRow = () -> { for (int r = 0; r < n; r++) out[r] = k.dot(all, r * rb, x, 0); };
        Runnable adjacent = () -> { for (int r = 0; r + 2 * g <= n; r += 2 * g) k.dotStreams(all, r * rb, (r + g) * rb, rb, x, 0, out, r, r + g); };
        Runnable far = () -> { int half = n / (2 * g) * g; for (int a = 0; a < half; a += g) k.dotStreams(all, a * rb, (a + half) * rb, rb, x, 0, out, a, a + half); };
        Runnable[] bodies = {byRow, adjacent, far};
        String[] names = {"row by row", "adjacent", "far places"};
        double[] best = {1e9, 1e9, 1e9};
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 3; i++) {
                long t = System.nanoTime();
                bodies[i].run();
                best[i] = Math.min(best[i], (System.nanoTime() - t) / 1e9);
            }
        }
        for (int i = 0; i < 3; i++) System.out.printf("%s %-12s %.1f GB/s%n", type, names[i], mb * copies / 1e9 / best[i]);
    }
}
