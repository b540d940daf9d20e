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

class QuantizerTest {

    static Stream<ModelPairs.Pair> pairs() {
        return ModelPairs.all();
    }

    @ParameterizedTest
    @MethodSource("pairs")
    void reproducesLlamaQuantizeBytesForEveryTensor(ModelPairs.Pair pair) {
        ModelPairs.forEachQuantizedTensor(pair, (tensor, file) -> {
            GgmlType type = tensor.type();
            int rowLength = Math.toIntExact(tensor.info().columns());
            long rowBytes = type.byteSize(rowLength);
            MemorySegment ours = Arena.ofAuto().allocate(tensor.info().byteSize());
            for (int row = 0; row < tensor.info().rows(); row++) {
                Quantizer.quantize(type, tensor.original(), row * rowLength, rowLength, ours, row * rowBytes);
            }
            long mismatch = ours.mismatch(file.data(tensor.info()));
            assertEquals(-1, mismatch, pair + " " + tensor.name() + " (" + type + ") differs at byte " + mismatch);
        });
    }

    static Stream<GgmlType> supportedTypes() {
        return Stream.of(TestRows.SUPPORTED);
    }

    /**
     * Relative RMS error sqrt(Σ(x − x̂)²/Σx²) on N(0, 1) data. Measured (these quantizers are byte-identical to
     * llama-quantize, so these are llama.cpp's own figures): F16 2.08e-4, BF16 1.66e-3, Q8_0 0.00536,
     * Q6_K 0.0178, Q5_1 0.0379, Q5_K 0.0361, Q5_0 0.0428, Q4_K 0.0714, IQ4_NL 0.0762, Q4_1 0.0783, Q4_0 0.0862,
     * Q3_K 0.151, Q2_K 0.297. They follow the Δ/√12 rule of a uniform quantizer with step Δ (for Q8_0,
     * Δ ≈ amax/127 with amax ≈ 2σ for 32 normal values gives about 0.005). Bounds are about 5% above.
     */
    static double roundTripBound(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 2.2e-4;
            case BF16 -> 1.75e-3;
            case Q8_0 -> 0.0057;
            case Q6_K -> 0.0187;
            case Q5_1 -> 0.040;
            case Q5_K -> 0.038;
            case Q5_0 -> 0.045;
            case Q4_K -> 0.075;
            case IQ4_NL -> 0.080;
            case Q4_1 -> 0.082;
            case Q4_0 -> 0.090;
            case Q3_K -> 0.158;
            case Q2_K -> 0.31;
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void roundTripErrorOnGaussianDataIsWithinLlamaCppBoundsAndDeterministic(GgmlType type) {
        int n = 64 * 4096;
        float[] x = TestRows.gaussian(n, new Random(2024));
        MemorySegment q = Arena.ofAuto().allocate(type.byteSize(n));
        Quantizer.quantize(type, x, 0, n, q, 0);
        float[] back = new float[n];
        Dequantizer.dequantize(type, q, 0, back, 0, n);
        double se = 0;
        double sx = 0;
        for (int i = 0; i < n; i++) {
            double d = x[i] - back[i];
            se += d * d;
            sx += (double) x[i] * x[i];
        }
        double relativeRms = Math.sqrt(se / sx);
        assertTrue(relativeRms <= roundTripBound(type), type + " relative RMS " + relativeRms);

        MemorySegment again = Arena.ofAuto().allocate(type.byteSize(n));
        Quantizer.quantize(type, x, 0, n, again, 0);
        assertEquals(-1, q.mismatch(again), type + " quantized twice differs");
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void zerosQuantizeToZeros(GgmlType type) {
        int n = 512;
        MemorySegment q = Arena.ofAuto().allocate(type.byteSize(n));
        q.fill((byte) 0x5A);
        Quantizer.quantize(type, new float[n], 0, n, q, 0);
        float[] back = new float[n];
        java.util.Arrays.fill(back, 1f);
        Dequantizer.dequantize(type, q, 0, back, 0, n);
        for (float v : back) {
            assertEquals(0f, Math.abs(v), type.toString());
        }
    }

    @Test
    void writesAtTheGivenOffsetsOnly() {
        float[] x = TestRows.gaussian(3 * 256, new Random(8));
        MemorySegment dst = Arena.ofAuto().allocate(10 + 2 * 144 + 10);
        Quantizer.quantize(GgmlType.Q4_K, x, 256, 512, dst, 10);
        MemorySegment direct = Arena.ofAuto().allocate(2 * 144);
        Quantizer.quantize(GgmlType.Q4_K, java.util.Arrays.copyOfRange(x, 256, 768), 0, 512, direct, 0);
        assertEquals(-1, dst.asSlice(10, 288).mismatch(direct));
        for (long i : new long[]{0, 9, 298, 307}) {
            assertEquals(0, dst.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
        }
    }

    @Test
    void rejectsUnsupportedTypesAndPartialBlocks() {
        MemorySegment dst = Arena.ofAuto().allocate(1024);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantizer.quantize(GgmlType.IQ2_XXS, new float[256], 0, 256, dst, 0));
        assertTrue(e.getMessage().contains("IQ2_XXS"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Quantizer.quantize(GgmlType.Q4_K, new float[255], 0, 255, dst, 0));
    }
}
