package io.strata.kernels.cpu;

import io.strata.kernels.WeightMatrix;
import io.strata.model.tensor.DotProduct;
import io.strata.model.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API kernels against the scalar reference {@link DotProduct}, bit for bit: single-token and tile forms
 * called directly, and through {@link MatMul} with odd row and token counts on one and two threads.
 */
class VectorDotsTest {

    /** The vectorized types; Q4_0 twice, with a row count that selects the plain and the repacked kernel. */
    static Stream<GgmlType> vectorized() {
        return Stream.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F32, GgmlType.F16);
    }

    /** Row lengths: one block, a few, many; the float types also get lengths with leftovers after the last 32. */
    static int[] lengths(GgmlType type) {
        int b = Math.max(32, type.blockSize());
        return switch (type) {
            case F32, F16 -> new int[]{1, 7, 31, 32, 33, 64, 100, 256, 1000, 4096};
            default -> new int[]{b, 3 * b, 16 * b, 4096 / b * b + b};
        };
    }

    private static float reference(GgmlType type, boolean repacked, MemorySegment w, long row, DotOperand x, int t) {
        return repacked
                ? DotProduct.dotQ4_0Repacked(w, row, x.converted(), t * x.cols(), x.cols())
                : DotProduct.dot(type, w, row, x.converted(), t * x.cols(), x.cols());
    }

    /** A single-token kernel called directly. */
    interface Dot {
        float dot(MemorySegment w, long row, DotOperand x, int token);
    }

    /**
     * The 256-bit and 512-bit forms of the kernels that have both: RowKernel runs one of them (by the hardware), the
     * test checks each, whatever the machine (the Vector API emulates what the hardware lacks).
     */
    private static List<Dot> widthForms(GgmlType type, boolean repacked) {
        return switch (type) {
            case Q4_K -> List.of(VectorKQuantDots::q4_KNarrow, VectorKQuantDots::q4_KWide);
            case Q6_K -> List.of(VectorKQuantDots::q6_KNarrow, VectorKQuantDots::q6_KWide);
            default -> List.of();
        };
    }

    private static void assertSameBits(float expected, float actual, String what) {
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                what + ": reference " + expected + ", vector " + actual);
    }

    /** Every row of {@code w} times every token, through both forms of the kernel, against the reference. */
    private static void checkKernel(GgmlType type, int rows, MemorySegment w, Activations a, int tokens, String what) {
        int cols = a.cols();
        boolean repacked = DotProduct.usesRepackedQ4_0(type, rows);
        RowKernel k = RowKernel.forWeights(type, rows, true, false);
        DotOperand x = a.operandFor(type, tokens);
        long rowBytes = type.byteSize(cols);
        float[] tile = new float[k.tile()];
        for (int r = 0; r < rows; r++) {
            long off = r * rowBytes;
            for (int t = 0; t < tokens; t++) {
                float expected = reference(type, repacked, w, off, x, t);
                assertSameBits(expected, k.dot(w, off, x, t), what + " row " + r + " token " + t);
                List<Dot> forms = widthForms(type, repacked);
                for (int f = 0; f < forms.size(); f++) {
                    assertSameBits(expected, forms.get(f).dot(w, off, x, t), what + " form " + f + " row " + r + " token " + t);
                }
                if (t + k.tile() <= tokens) {
                    k.dotTile(w, off, x, t, tile, 0, 1);
                    assertSameBits(expected, tile[0], what + " tile row " + r + " token " + t);
                }
            }
            // the two-place form from this row: neighbouring places, and this row with the last rows of the matrix
            int g = k.streamRows();
            if (r + 2 * g <= rows) {
                for (int far : new int[]{r + g, rows - g}) {
                    if (far < r + g) {
                        continue;
                    }
                    float[] results = new float[rows + 2];
                    for (int t = 0; t < tokens; t++) {
                        k.dotStreams(w, off, far * rowBytes, rowBytes, x, t, results, r + 1, far + 1);
                        for (int i = 0; i < g; i++) {
                            assertSameBits(reference(type, repacked, w, off + i * rowBytes, x, t), results[r + 1 + i],
                                    what + " streams at " + r + " and " + far + ": row " + (r + i) + " token " + t);
                            assertSameBits(reference(type, repacked, w, (far + i) * rowBytes, x, t),
                                    results[far + 1 + i], what + " streams at " + r + " and " + far + ": row "
                                            + (far + i) + " token " + t);
                        }
                    }
                }
            }
            // the whole row through dotRow (the wide tiles where the batch has them), from 0 and from a tile start
            for (int from : new int[]{0, RowKernel.TOKEN_TILE}) {
                if (from >= tokens) {
                    continue;
                }
                float[] row = new float[tokens];
                k.dotRow(w, off, x, from, tokens, row, 0, 1);
                for (int t = from; t < tokens; t++) {
                    assertSameBits(reference(type, repacked, w, off, x, t), row[t], what + " dotRow from " + from
                            + " row " + r + " token " + t);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("vectorized")
    void singleTokenAndTileKernelsEqualTheScalarReferenceOnRandomRows(GgmlType type) {
        Random rnd = new Random(11 + type.id());
        for (int cols : lengths(type)) {
            for (int rows : new int[]{3, 8, 9}) { // Q4_0: 3 and 9 rows -> plain vec_dot, 8 rows -> repacked GEMV
                MemorySegment w = WeightRows.random(type, rows, cols, rnd, 0.02f);
                Activations a = WeightRows.gaussian(11, cols, rnd);
                checkKernel(type, rows, w, a, 11, type + " cols " + cols + " rows " + rows);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("vectorized")
    void extremeQuantsAndActivationsGiveTheReferenceBits(GgmlType type) {
        int cols = 2 * Math.max(32, type.blockSize());
        Random rnd = new Random(5 + type.id());
        // every byte pattern that saturates a field: all bits set, sign bits only, max positive, zero
        byte[] fills = {(byte) 0xFF, (byte) 0x80, (byte) 0x7F, 0x00, (byte) 0x88, (byte) 0x0F, (byte) 0xF0};
        float[] halves = {65504f, -65504f, 6.1e-5f, 1f, -0f};
        for (byte fill : fills) {
            for (float half : halves) {
                for (int rows : new int[]{1, 8}) {
                    MemorySegment w = WeightRows.filled(type, rows, cols, fill, half);
                    for (Activations a : extremeActivations(cols, rnd)) {
                        checkKernel(type, rows, w, a, a.maxRows(), type + " fill " + fill + " half " + half);
                    }
                }
            }
        }
    }

    /** Rows that quantize to ±127 everywhere, a single spike, all zeros, and huge and tiny finite values. */
    private static Activations[] extremeActivations(int cols, Random rnd) {
        Activations a = new Activations(11, cols);
        float[] v = a.values();
        for (int i = 0; i < cols; i++) {
            v[i] = (i & 1) == 0 ? 1f : -1f;             // every quant ±127
            v[cols + i] = i == 3 ? -1e30f : 0f;         // one spike: −127 there, 0 elsewhere
            v[2 * cols + i] = 0f;                       // all-zero blocks: d = 0
            v[3 * cols + i] = (float) rnd.nextGaussian() * 6e4f;
            v[4 * cols + i] = (float) rnd.nextGaussian() * 1e-30f;
            v[5 * cols + i] = (i & 1) == 0 ? -1f : 1f;  // every quant ±127, the other signs
            v[6 * cols + i] = (i & 2) == 0 ? 3e38f : -3e38f;
            v[7 * cols + i] = i % 5 == 0 ? 1f : 0f;
            v[8 * cols + i] = -1f;                      // every quant −127
            v[9 * cols + i] = 1f;                       // every quant +127
            v[10 * cols + i] = (float) rnd.nextGaussian();
        }
        a.changed();
        return new Activations[]{a};
    }

    @Test
    void halvesWidenEveryF16BitPatternExactly() {
        for (int h = 0; h < 65536; h += 8) {
            jdk.incubator.vector.IntVector bits = jdk.incubator.vector.IntVector.fromArray(VectorLanes.INTS,
                    new int[]{h, h + 1, h + 2, h + 3, h + 4, h + 5, h + 6, h + 7}, 0);
            float[] got = VectorFloatDots.widenHalves(bits).toArray();
            for (int i = 0; i < 8; i++) {
                float expected = Float.float16ToFloat((short) (h + i));
                if (Float.isNaN(expected)) {
                    assertTrue(Float.isNaN(got[i]), "half " + (h + i) + " is a NaN");
                } else {
                    assertSameBits(expected, got[i], "half 0x" + Integer.toHexString(h + i));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("vectorized")
    void matMulGivesTheReferenceBitsForEveryBatchSizeAndThreadCount(GgmlType type) {
        Random rnd = new Random(3 + type.id());
        int cols = 4 * Math.max(32, type.blockSize());
        for (int rows : new int[]{37, 64}) {
            MemorySegment data = WeightRows.random(type, rows, cols, rnd, 0.02f);
            WeightMatrix w = new WeightMatrix("w", type, data, rows, cols);
            Activations a = WeightRows.gaussian(5, cols, rnd);
            for (int threads : new int[]{1, 2}) {
                try (ThreadTeam team = new ThreadTeam(threads)) {
                    MatMul vector = new MatMul(team, true, false);
                    MatMul scalar = new MatMul(team, false);
                    for (int tokens = 1; tokens <= 5; tokens++) {
                        int stride = rows + 3;
                        float[] expected = new float[tokens * stride];
                        float[] actual = new float[tokens * stride];
                        scalar.apply(w, a, tokens, expected, stride);
                        vector.apply(w, a, tokens, actual, stride);
                        for (int i = 0; i < expected.length; i++) {
                            assertSameBits(expected[i], actual[i], type + " rows " + rows + " tokens " + tokens
                                    + " threads " + threads + " output " + i);
                        }
                    }
                }
            }
        }
    }

    /**
     * Batches of every size up to three wide tiles and beyond (the 8- and 4-token tiles, their remainders, the
     * two-token and single-token forms) through {@link MatMul}, odd and even row counts (Q4_0: plain and repacked),
     * one and two threads, against the scalar reference.
     */
    @ParameterizedTest
    @MethodSource("vectorized")
    void matMulTilesGiveTheReferenceBitsForBatchesOfAnySize(GgmlType type) {
        Random rnd = new Random(23 + type.id());
        int cols = 3 * Math.max(32, type.blockSize());
        int maxTokens = 27;
        Activations a = WeightRows.gaussian(maxTokens, cols, rnd);
        for (int rows : new int[]{21, 40}) {
            WeightMatrix w = new WeightMatrix("w", type, WeightRows.random(type, rows, cols, rnd, 0.02f), rows, cols);
            for (int threads : new int[]{1, 2}) {
                try (ThreadTeam team = new ThreadTeam(threads)) {
                    MatMul vector = new MatMul(team, true, false);
                    MatMul scalar = new MatMul(team, false);
                    for (int tokens : new int[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 20, 24, 25, 27}) {
                        int stride = rows + 1;
                        float[] expected = new float[tokens * stride];
                        float[] actual = new float[tokens * stride];
                        a.changed();
                        scalar.apply(w, a, tokens, expected, stride);
                        a.changed();
                        vector.apply(w, a, tokens, actual, stride);
                        for (int i = 0; i < expected.length; i++) {
                            assertSameBits(expected[i], actual[i], type + " rows " + rows + " tokens " + tokens
                                    + " threads " + threads + " output " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void theTypesThatMatterForSpeedHaveVectorKernels() {
        vectorized().filter(t -> t != GgmlType.F16) // scalar for now, see RowKernel
                .forEach(t -> assertTrue(RowKernel.isVectorized(t), t + " runs the scalar reference"));
    }
}
