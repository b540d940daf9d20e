package io.strata.kernels.cpu;

import io.strata.kernels.WeightMatrix;
import io.strata.model.tensor.DotProduct;
import io.strata.model.tensor.GgmlType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native Q8_0, Q4_0, Q4_K and Q6_K kernels ({@link NativeKernels}) against the scalar reference, bit for bit, through
 * {@link MatMul}: every path of the C code (4 x 4 tiles and their leftover rows and tokens, the four-stream decode
 * and its leftover rows, the repacked GEMV's 8-row groups, its rows-as-lanes decode (four groups, one, leftover
 * rows), token pairs and leftover rows), the interleaved Q4_0 and Q4_K copies' kernels (Q4_0: four streams,
 * leftover groups, token fours, pairs and ones; both: a row slice of the copy), one and two threads.
 * Skipped, saying why, where the library is not built (no gcc) or the CPU lacks AVX2.
 */
class NativeKernelsTest {

    @Test
    void aBuiltLibraryIsLoaded() {
        // the build puts the library next to the classes wherever gcc exists; a loading failure must not pass quietly
        Assumptions.assumeTrue(NativeKernels.class.getResource("libstrata_kernels.so") != null,
                "native kernels not built here (no gcc): the Vector API kernels run");
        Assumptions.assumeFalse(String.valueOf(NativeKernels.why()).contains("no AVX2"), NativeKernels::why);
        assertTrue(NativeKernels.available(), () -> "the library is built but " + NativeKernels.why());
        assertTrue(MatMul.int8Kernels().startsWith("native"), MatMul.int8Kernels());
    }

    @BeforeEach
    void nativeKernelsAreLoaded(org.junit.jupiter.api.TestInfo test) {
        if (!test.getDisplayName().startsWith("aBuiltLibrary")) {
            Assumptions.assumeTrue(NativeKernels.available(), () -> "native kernels not tested: " + NativeKernels.why());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void everyRowAndTokenHasTheReferenceBits(String typeName) {
        checkAgainstTheReference(GgmlType.valueOf(typeName));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void theAvx2KernelsHaveTheReferenceBitsToo(String typeName) {
        // a VNNI machine runs the other instruction set here, so CI on either kind of machine tests both
        NativeKernels.withAvx2(() -> checkAgainstTheReference(GgmlType.valueOf(typeName)));
    }

    private static void checkAgainstTheReference(GgmlType type) {
        Random rnd = new Random(7 + type.id());
        int maxTokens = 21;
        int[] lengths = type.blockSize() == 256 ? new int[]{256, 768, 2048} : new int[]{32, 96, 2048};
        for (int cols : lengths) {
            Activations a = WeightRows.gaussian(maxTokens, cols, rnd);
            // Q4_0 with rows % 8 == 0 takes the repacked order: 16, 40, 136 (and 8 per thread) do, 13 and 37 do
            // not; 136 rows give each thread the rows-as-lanes decode's four 8-row groups, a fifth and a remainder;
            // 16, 160 and the 64-row slice of 160 take the interleaved copy for Q4_0 and Q4_K (Q4_0's 160 on two
            // threads: four 16-row streams and a leftover group each)
            for (int rows : new int[]{1, 3, 13, 16, 37, 40, 136, 160, 64}) {
                WeightMatrix w = rows == 64 ? interleaved(type, 160, cols, rnd).rows(32, 96)
                        : new WeightMatrix("w", type, WeightRows.random(type, rows, cols, rnd, 0.05f), rows, cols);
                if (rows % 16 == 0) {
                    w = interleaved(w);
                }
                boolean repacked = DotProduct.usesRepackedQ4_0(type, rows);
                for (int threads : new int[]{1, 2}) {
                    try (ThreadTeam team = new ThreadTeam(threads)) {
                        MatMul nat = new MatMul(team, true, true);
                        for (int tokens : new int[]{1, 2, 3, 4, 5, 7, 8, 9, 16, 21}) {
                            int stride = rows + 2;
                            float[] actual = new float[tokens * stride];
                            a.changed();
                            nat.apply(w, a, tokens, actual, stride);
                            DotOperand x = a.operandFor(type, tokens);
                            for (int t = 0; t < tokens; t++) {
                                for (int r = 0; r < rows; r++) {
                                    long row = r * w.rowStride();
                                    float expected = repacked
                                            ? DotProduct.dotQ4_0Repacked(w.data(), row, x.converted(), t * cols, cols)
                                            : DotProduct.dot(type, w.data(), row, x.converted(), t * cols, cols);
                                    float got = actual[t * stride + r];
                                    int rr = r;
                                    int tt = t;
                                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got),
                                            () -> type + (repacked ? " repacked" : "") + " cols " + cols + " rows "
                                                    + rows + " threads " + threads + " tokens " + tokens + ": row " + rr
                                                    + " token " + tt + ": reference " + expected + ", native " + got);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static final java.lang.foreign.Arena COPIES = java.lang.foreign.Arena.ofAuto();

    private static WeightMatrix interleaved(GgmlType type, int rows, int cols, Random rnd) {
        return interleaved(new WeightMatrix("w", type, WeightRows.random(type, rows, cols, rnd, 0.05f), rows, cols));
    }

    /** The matrix with the native kernels' copy where they make one; a Q4_0 one must get it on a VNNI machine. */
    private static WeightMatrix interleaved(WeightMatrix w) {
        WeightMatrix copied = MatMul.withKernelLayout(w, COPIES);
        if ((w.type() == GgmlType.Q4_0 || w.type() == GgmlType.Q4_K) && NativeKernels.interleaves()) {
            assertTrue(copied.interleaved() != null, () -> w.rows() + " " + w.type() + " rows got no interleaved copy");
        }
        return copied;
    }

    @Test
    void extremeQuantsKeepTheReferenceBits() {
        // weights of -128 (|w| = 128 fits the unsigned operand) and activations at ±127 in every lane
        int rows = 8, cols = 256;
        Random rnd = new Random(11);
        var data = WeightRows.random(GgmlType.Q8_0, rows, cols, rnd, 0.05f);
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < cols / 32; b++) {
                for (int e = 0; e < 32; e++) {
                    data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, (long) r * 34 * (cols / 32) + 34L * b + 2 + e,
                            (byte) ((r + e) % 3 == 0 ? -128 : 127));
                }
            }
        }
        WeightMatrix w = new WeightMatrix("w", GgmlType.Q8_0, data, rows, cols);
        Activations a = new Activations(4, cols);
        for (int i = 0; i < 4 * cols; i++) {
            a.values()[i] = (i % 5 == 0 ? -1 : 1) * (1 + (i % 7));
        }
        a.changed();
        try (ThreadTeam team = new ThreadTeam(1)) {
            float[] nat = new float[4 * rows];
            float[] ref = new float[4 * rows];
            new MatMul(team, true, true).apply(w, a, 4, nat, rows);
            new MatMul(team, false).apply(w, a, 4, ref, rows);
            for (int i = 0; i < nat.length; i++) {
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(nat[i]), "output " + i);
            }
        }
    }
}
