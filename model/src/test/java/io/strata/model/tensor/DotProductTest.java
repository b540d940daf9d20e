package io.strata.model.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DotProductTest {

    static Stream<GgmlType> supportedTypes() {
        return Stream.of(TestRows.SUPPORTED);
    }

    /** Row lengths per type: one block, a few blocks (odd, for IQ4_NL's tail), many blocks; floats get odd tails. */
    static int[] lengths(GgmlType type) {
        int b = Math.max(32, type.blockSize());
        return switch (type) {
            case F32, F16, BF16 -> new int[]{1, 7, 31, 32, 33, 64, 100, 256, 1000, 4096};
            default -> new int[]{b, 3 * b, 16 * b, 4096 / b * b + b};
        };
    }

    private static QuantizedActivations activations(GgmlType weightType, float[] x) {
        QuantizedActivations q = QuantizedActivations.forWeights(weightType, x.length);
        q.quantize(x, 0, x.length);
        return q;
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void matchesTheAvx2AccumulationOrderBitForBitOnRandomRows(GgmlType type) {
        Random rnd = new Random(42 + type.id());
        for (int n : lengths(type)) {
            for (int trial = 0; trial < 5; trial++) {
                MemorySegment row = TestRows.randomRow(type, n, rnd, 0.01f);
                QuantizedActivations x = activations(type, TestRows.gaussian(n, rnd));
                float expected = Avx2DotSpec.dot(type, row, x, 0, n);
                float actual = DotProduct.dot(type, row, 0, x, 0, n);
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual),
                        type + " n=" + n + ": spec " + expected + " vs " + actual);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void agreesWithTheDoublePrecisionDotOfTheDequantizedOperands(GgmlType type) {
        Random rnd = new Random(7 + type.id());
        for (int n : lengths(type)) {
            for (int trial = 0; trial < 5; trial++) {
                MemorySegment row = TestRows.randomRow(type, n, rnd, 0.01f);
                QuantizedActivations x = activations(type, TestRows.gaussian(n, rnd));
                assertCloseToExact(type, row, x, n);
            }
        }
    }

    /**
     * |dot − exact| ≤ (k + 8)·u·M with u = 2^-24 and M = Σ_e (|d·sc·q| + |dmin·m| or |m|)·|y|, the magnitude
     * of the terms before the scale and offset parts cancel. The integer lanes are exact; what rounds is the classic
     * recursive float sum: k = the number of terms FMA'd into one accumulator (blocks per row, or n/32 plus the
     * leftovers for the float types), plus 3 levels of horizontal sum, the scale product and the dequantizer's own
     * rounding of the reference. Measured errors stay below 0.5·u·M; a misread bit or block would be far off.
     */
    private static void assertCloseToExact(GgmlType type, MemorySegment row, QuantizedActivations x, int n) {
        float[] w = new float[n];
        Dequantizer.dequantize(type, row, 0, w, 0, n);
        double exact = 0;
        double magnitude = 0;
        boolean minTimesS = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
        for (int i = 0; i < n; i++) {
            double y = activation(x, i);
            if (minTimesS) {
                // ggml pairs the block min m with Q8_1's s = fp16(d·Σq), not with the sum of the dequantized
                // activations, so the exact reference is Σ q·d·y + m·s per block
                Avx2DotSpec.IntBlock b = Avx2DotSpec.decode(type, row, (long) (i / 32) * type.typeSize());
                exact += (double) b.q()[i % 32] * b.d() * y + (i % 32 == 0 ? (double) b.m() * x.blockSum(i / 32) : 0);
            } else {
                exact += (double) w[i] * y;
            }
            magnitude += partsMagnitude(type, row, i) * Math.abs(y);
        }
        float actual = DotProduct.dot(type, row, 0, x, 0, n);
        int chain = type.blockSize() == 1 ? n / 32 + n % 32 : n / type.blockSize();
        double tolerance = (chain + 8) * 0x1p-24 * magnitude;
        assertTrue(Math.abs(actual - exact) <= tolerance,
                type + " n=" + n + ": " + actual + " vs exact " + exact + " (tolerance " + tolerance + ")");
    }

    /** The activation as the exact real q·d (Q8_K's f32 d times q need not be a float). */
    private static double activation(QuantizedActivations x, int i) {
        return switch (x.type()) {
            case Q8_0, Q8_1, Q8_K -> (double) x.quant(i) * x.scale(i / x.type().blockSize());
            default -> x.value(i);
        };
    }

    /** |scale part| + |offset part| of weight element i, from the integer decoding. */
    private static double partsMagnitude(GgmlType type, MemorySegment row, int i) {
        if (type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16) {
            float[] one = new float[1];
            Dequantizer.dequantize(type, row, (long) i * type.typeSize(), one, 0, 1);
            return Math.abs(one[0]);
        }
        int bs = type.blockSize();
        Avx2DotSpec.IntBlock b = Avx2DotSpec.decode(type, row, (long) (i / bs) * type.typeSize());
        int e = i % bs;
        return Math.abs((double) b.d() * b.scale()[e] * b.q()[e]) + Math.abs((double) b.dmin() * b.min()[e])
                + Math.abs(b.m());
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void handlesAllZeroAndExtremeQuantBlocks(GgmlType type) {
        int n = 4 * Math.max(32, type.blockSize()) + (type.blockSize() == 1 ? 3 : 0);
        Random rnd = new Random(type.id());
        float[] extremes = new float[n];
        for (int i = 0; i < n; i++) {
            extremes[i] = i % 2 == 0 ? 1f : -1f; // every activation quant is ±127
        }
        QuantizedActivations zeros = activations(type, new float[n]);
        QuantizedActivations big = activations(type, extremes);
        QuantizedActivations random = activations(type, TestRows.gaussian(n, rnd));

        MemorySegment zeroRow = TestRows.filledRow(type, n, (byte) 0, 0f);
        assertEquals(0f, DotProduct.dot(type, zeroRow, 0, random, 0, n), type + " zero row");
        MemorySegment anyRow = TestRows.randomRow(type, n, rnd, 1f);
        assertEquals(0f, DotProduct.dot(type, anyRow, 0, zeros, 0, n), type + " zero activations");

        // quant extremes (all ones, all zeros, sign bits); float types only get fills that decode to finite values
        byte[] fills = type.blockSize() == 1 ? new byte[]{0, 0x55, (byte) 0xAA, 0x3C}
                : new byte[]{0, (byte) 0xFF, (byte) 0x80, 0x7F, 0x55, (byte) 0xAA};
        for (byte fill : fills) {
            MemorySegment row = TestRows.filledRow(type, n, fill, 1f);
            for (QuantizedActivations x : new QuantizedActivations[]{big, random}) {
                float expected = Avx2DotSpec.dot(type, row, x, 0, n);
                float actual = DotProduct.dot(type, row, 0, x, 0, n);
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual),
                        type + " fill " + fill + ": " + expected + " vs " + actual);
            }
            assertCloseToExact(type, row, big, n);
        }
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void readsRowsAtAnOffsetAndActivationsFromABlockOffset(GgmlType type) {
        Random rnd = new Random(99);
        int block = Math.max(32, QuantizedActivations.vecDotType(type).blockSize());
        int n = 2 * block;
        float[] x = TestRows.gaussian(3 * block, rnd);
        MemorySegment rows = TestRows.randomRow(type, 3 * n, rnd, 0.05f);
        long rowBytes = type.byteSize(n);
        QuantizedActivations all = activations(type, x);
        QuantizedActivations tail = activations(type, java.util.Arrays.copyOfRange(x, block, 3 * block));
        MemorySegment second = Arena.ofAuto().allocate(rowBytes);
        second.copyFrom(rows.asSlice(rowBytes, rowBytes));
        assertEquals(DotProduct.dot(type, second, 0, tail, 0, n), DotProduct.dot(type, rows, rowBytes, all, block, n));
    }

    @Test
    void repackedQ4_0AccumulatesBlockByBlockInOneFloat() {
        Random rnd = new Random(5);
        boolean differs = false;
        for (int n : new int[]{32, 96, 4096}) {
            for (int trial = 0; trial < 20; trial++) {
                MemorySegment row = TestRows.randomRow(GgmlType.Q4_0, n, rnd, 0.01f);
                QuantizedActivations x = activations(GgmlType.Q4_0, TestRows.gaussian(n, rnd));
                float repacked = DotProduct.dotQ4_0Repacked(row, 0, x, 0, n);
                assertEquals(Float.floatToIntBits(Avx2DotSpec.q4_0Repacked(row, x, 0, n)),
                        Float.floatToIntBits(repacked));
                differs |= repacked != DotProduct.dot(GgmlType.Q4_0, row, 0, x, 0, n);
            }
        }
        assertTrue(differs, "the two Q4_0 paths round differently on some rows, which is why both exist");
        assertTrue(DotProduct.usesRepackedQ4_0(GgmlType.Q4_0, 64));
        assertTrue(!DotProduct.usesRepackedQ4_0(GgmlType.Q4_0, 172));
        assertTrue(!DotProduct.usesRepackedQ4_0(GgmlType.Q8_0, 64));
    }

    @Test
    void dotF32FollowsGgmlVecDotF32() {
        Random rnd = new Random(3);
        for (int n : new int[]{0, 1, 5, 31, 32, 33, 63, 64, 65, 127, 1000, 4099}) {
            float[] a = TestRows.gaussian(n + 3, rnd);
            float[] b = TestRows.gaussian(n, rnd);
            float[] shifted = java.util.Arrays.copyOfRange(a, 3, n + 3);
            assertEquals(Float.floatToIntBits(Avx2DotSpec.f32(shifted, b, n)),
                    Float.floatToIntBits(DotProduct.dotF32(a, 3, b, 0, n)), "n=" + n);
        }
    }

    @Test
    void rejectsUnsupportedTypesWrongActivationsAndBadRanges() {
        MemorySegment row = Arena.ofAuto().allocate(4096);
        QuantizedActivations q8 = activations(GgmlType.Q8_0, new float[64]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DotProduct.dot(GgmlType.IQ2_XXS, row, 0, q8, 0, 256));
        assertTrue(e.getMessage().contains("IQ2_XXS"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DotProduct.dot(GgmlType.Q4_K, row, 0, q8, 0, 256));
        assertTrue(e.getMessage().contains("Q8_K"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DotProduct.dot(GgmlType.Q8_0, row, 0, q8, 0, 48));
        assertThrows(IllegalArgumentException.class, () -> DotProduct.dot(GgmlType.Q8_0, row, 0, q8, 16, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> DotProduct.dot(GgmlType.Q8_0, row, 0, q8, 32, 64));
        assertThrows(IndexOutOfBoundsException.class, () -> DotProduct.dot(GgmlType.Q8_0, row, 4090, q8, 0, 32));
    }

    @Test
    void quantizingAndDotProductsAllocateNothingOnceWarm() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Random rnd = new Random(1);
        int n = 1024;
        float[] x = TestRows.gaussian(n, rnd);
        float sink = 0;
        for (GgmlType type : TestRows.SUPPORTED) {
            MemorySegment row = TestRows.randomRow(type, n, rnd, 0.01f);
            QuantizedActivations q = QuantizedActivations.forWeights(type, n);
            for (int i = 0; i < 3000; i++) {
                q.quantize(x, 0, n);
                sink += DotProduct.dot(type, row, 0, q, 0, n);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100; i++) {
                q.quantize(x, 0, n);
                sink += DotProduct.dot(type, row, 0, q, 0, n);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 1024, type + " allocated " + allocated + " bytes in 100 quantize+dot calls");
        }
        assertTrue(Float.isFinite(sink) || Float.isNaN(sink));
    }
}
