package io.strata.bench;

import io.strata.kernels.WeightMatrix;
import io.strata.kernels.cpu.Activations;
import io.strata.kernels.cpu.MatMul;
import io.strata.kernels.cpu.ThreadTeam;
import io.strata.model.tensor.GgmlType;
import io.strata.model.tensor.Quantizer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * {@link MatMul#apply} on one weight matrix of Llama-3.2-1B's FFN shape (8192 rows of 2048 columns, as ffn_gate
 * and ffn_up), per weight type, for 1 token (decode: bound by reading the weights) and 32 tokens (prefill: every
 * weight row meets 32 activation rows, bound by arithmetic). Counters, reported per second:
 * {@code weightGigabytes} (GB/s of weights streamed; compare with the bandwidth benchmark) and {@code gigaflops}
 * (2 x rows x cols x tokens per product).
 *
 * <p>The matrix is quantized with the reference quantizers into off-heap memory (64 MiB as F32, 17 MiB as Q8_0),
 * larger than the caches, as weights are in a mapped model file. Each op marks the activations changed, so their
 * conversion to the weight's dot format (Q8_0, Q8_K, ...) is timed too, as in a forward pass.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MatVecBenchmark {
    static final int ROWS = 8192;
    static final int COLS = 2048;

    @Param({"Q8_0", "Q4_0", "Q4_K", "Q6_K", "F32", "F16"})
    public String type;

    @Param({"1", "32"})
    public int tokens;

    @Param({"1"})
    public int threads;

    private Arena arena;
    private ThreadTeam team;
    private MatMul matmul;
    private WeightMatrix weights;
    private Activations input;
    private float[] output;

    /** Weight bytes read and floating-point operations, in units of 10^9; JMH divides by the iteration time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public double weightGigabytes;
        public double gigaflops;

        @Setup(Level.Iteration)
        public void reset() {
            weightGigabytes = 0;
            gigaflops = 0;
        }
    }

    @Setup(Level.Trial)
    public void build() {
        GgmlType t = GgmlType.valueOf(type);
        arena = Arena.ofShared();
        weights = randomMatrix(t, ROWS, COLS, arena, 42);
        team = new ThreadTeam(threads);
        matmul = new MatMul(team);
        input = new Activations(tokens, COLS);
        SplittableRandom random = new SplittableRandom(7);
        float[] x = input.values();
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        input.changed();
        output = new float[tokens * ROWS];
    }

    /** A rows x cols matrix of N(0, 0.02) values quantized to {@code type}, rows quantized in parallel. */
    static WeightMatrix randomMatrix(GgmlType type, int rows, int cols, Arena arena, long seed) {
        long rowBytes = type.byteSize(cols);
        MemorySegment data = arena.allocate(rowBytes * rows, 64);
        IntStream.range(0, rows).parallel().forEach(r -> {
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + r);
            float[] row = new float[cols];
            for (int i = 0; i < cols; i++) {
                row[i] = (float) (0.02 * random.nextGaussian());
            }
            Quantizer.quantize(type, row, 0, cols, data, r * rowBytes);
        });
        return new WeightMatrix("bench." + type, type, data, rows, cols);
    }

    @TearDown(Level.Trial)
    public void free() {
        team.close();
        arena.close();
    }

    @Benchmark
    public float[] matmul(Work w) {
        input.changed();
        matmul.apply(weights, input, tokens, output, ROWS);
        w.weightGigabytes += weights.rows() * weights.rowBytes() / 1e9;
        w.gigaflops += 2.0 * ROWS * COLS * tokens / 1e9;
        return output;
    }
}
