package io.strata.kernels.cpu;

import io.strata.kernels.WeightMatrix;
import io.strata.model.tensor.GgmlType;

import java.util.Arrays;
import java.util.Random;

/**
 * A quick timing of {@link MatMul} (not a benchmark harness; the bench module has those): a 2048 x 8192 matrix-vector
 * product per weight type, scalar reference versus Vector API kernels, on 1 and 2 threads, in GB/s of weights read.
 * Enough distinct copies of the matrix are cycled (256 MiB in all) that the weights come from memory, not from the
 * last-level cache, as in decoding a real model. Also times a 16-token batch (prefill) per token.
 *
 * <pre>
 * ./mvnw -q -o install -DskipTests && ./mvnw -q -o test-compile -pl kernels
 * java --add-modules jdk.incubator.vector -cp kernels/target/classes:kernels/target/test-classes:model/target/classes \
 *     [-Dthroughput.vectorOnly=true] io.strata.kernels.cpu.MatVecThroughput [types...]
 * </pre>
 */
public final class MatVecThroughput {
    private static final int ROWS = 2048;
    private static final int COLS = 8192;
    private static final long WORKING_SET = 256L << 20;

    public static void main(String[] args) {
        GgmlType[] types = args.length == 0
                ? new GgmlType[]{GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.F32}
                : Arrays.stream(args).map(GgmlType::valueOf).toArray(GgmlType[]::new);
        System.out.printf("%-5s %-7s %7s %9s %9s %12s%n", "type", "kernels", "threads", "ms/matvec", "GB/s", "prefill ms/tok");
        for (GgmlType type : types) {
            WeightMatrix[] copies = copies(type);
            boolean[] kinds = Boolean.getBoolean("throughput.vectorOnly") ? new boolean[]{true} : new boolean[]{false, true};
            for (boolean vector : kinds) {
                for (int threads = 1; threads <= 2; threads++) {
                    time(type, copies, vector, threads);
                }
            }
        }
    }

    private static WeightMatrix[] copies(GgmlType type) {
        long bytes = type.byteSize((long) ROWS * COLS);
        int n = (int) Math.max(2, WORKING_SET / bytes);
        Random rnd = new Random(1);
        WeightMatrix[] m = new WeightMatrix[n];
        for (int i = 0; i < n; i++) {
            m[i] = new WeightMatrix("w" + i, type, WeightRows.random(type, ROWS, COLS, rnd, 0.02f), ROWS, COLS);
        }
        return m;
    }

    private static void time(GgmlType type, WeightMatrix[] copies, boolean vector, int threads) {
        Random rnd = new Random(2);
        Activations one = WeightRows.gaussian(1, COLS, rnd);
        Activations batch = WeightRows.gaussian(16, COLS, rnd);
        float[] out = new float[16 * ROWS];
        try (ThreadTeam team = new ThreadTeam(threads)) {
            MatMul m = new MatMul(team, vector);
            // warm-up long enough for C2 to compile the kernels (more for the slow scalar reference's sake, less)
            long warmUntil = System.nanoTime() + 3_000_000_000L;
            for (int i = 0; System.nanoTime() < warmUntil; i++) {
                m.apply(copies[i % copies.length], one, 1, out, ROWS);
            }
            int reps = vector ? 400 : 40;
            long[] ns = new long[reps];
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                m.apply(copies[i % copies.length], one, 1, out, ROWS);
                ns[i] = System.nanoTime() - t0;
            }
            Arrays.sort(ns);
            double median = ns[reps / 2];
            double gbs = copies[0].rowBytes() * ROWS / median;
            int batchReps = vector ? 40 : 4;
            for (int i = 0; i < 2; i++) {
                m.apply(copies[i], batch, 16, out, ROWS);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < batchReps; i++) {
                m.apply(copies[i % copies.length], batch, 16, out, ROWS);
            }
            double prefillPerToken = (System.nanoTime() - t0) / 1e6 / batchReps / 16;
            System.out.printf("%-5s %-7s %7d %9.3f %9.1f %12.3f%n", type, vector ? "vector" : "scalar", threads,
                    median / 1e6, gbs, prefillPerToken);
        }
    }
}
