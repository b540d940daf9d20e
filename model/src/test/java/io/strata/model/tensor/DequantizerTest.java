package io.strata.model.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DequantizerTest {

    static Stream<ModelPairs.Pair> pairs() {
        return ModelPairs.all();
    }

    /**
     * Relative RMS error sqrt(Σ(x − x̂)²/Σx²) of llama-quantize's output against the F32 weights it came from.
     * Measured over all tensors of a type in one file: Q2_K 0.297, Q3_K 0.151, Q4_K 0.0714, Q5_K 0.0361,
     * Q6_K 0.0178, Q4_1 0.0782, IQ4_NL 0.0762, Q8_0 0.0055, Q4_0 0.0836, Q5_0 0.0443, Q5_1 0.0380,
     * F16 2.04e-4, BF16 1.72e-3; the same as a uniform quantizer's Δ/√12 (see QuantizerTest). The bounds sit a few
     * percent above; a misread field or nibble order gives errors of order 1.
     */
    static double bound(GgmlType type) {
        return switch (type) {
            case F16 -> 2.2e-4;
            case BF16 -> 1.8e-3;
            case Q8_0 -> 0.0058;
            case Q6_K -> 0.0187;
            case Q5_1 -> 0.040;
            case Q5_K -> 0.038;
            case Q5_0 -> 0.047;
            case Q4_K -> 0.075;
            case IQ4_NL -> 0.080;
            case Q4_1 -> 0.082;
            case Q4_0 -> 0.088;
            case Q3_K -> 0.158;
            case Q2_K -> 0.31;
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    @ParameterizedTest
    @MethodSource("pairs")
    void dequantizedLlamaQuantizeWeightsApproximateTheirF32Originals(ModelPairs.Pair pair) {
        Map<GgmlType, double[]> errors = new TreeMap<>();
        ModelPairs.forEachQuantizedTensor(pair, (tensor, file) -> {
            float[] decoded = new float[tensor.original().length];
            Dequantizer.dequantize(tensor.type(), file.data(tensor.info()), 0, decoded, 0, decoded.length);
            double[] sums = errors.computeIfAbsent(tensor.type(), t -> new double[2]);
            for (int i = 0; i < decoded.length; i++) {
                double d = decoded[i] - tensor.original()[i];
                sums[0] += d * d;
                sums[1] += (double) tensor.original()[i] * tensor.original()[i];
            }
        });
        assertTrue(!errors.isEmpty(), pair + " holds no quantized tensor");
        errors.forEach((type, sums) -> {
            double relativeRms = Math.sqrt(sums[0] / sums[1]);
            assertTrue(relativeRms <= bound(type), pair + " " + type + " relative RMS " + relativeRms);
        });
    }

    @Test
    void everySupportedWeightTypeOccursInTheReferenceFiles() {
        java.util.Set<GgmlType> seen = java.util.EnumSet.noneOf(GgmlType.class);
        ModelPairs.all().forEach(pair -> ModelPairs.forEachQuantizedTensor(pair, (t, f) -> seen.add(t.type())));
        seen.add(GgmlType.F32);
        assertEquals(java.util.Set.of(TestRows.SUPPORTED), seen);
    }

    private static MemorySegment block(int size, int... bytesAt) {
        MemorySegment s = Arena.ofAuto().allocate(size);
        for (int i = 0; i < bytesAt.length; i += 2) {
            s.set(ValueLayout.JAVA_BYTE, bytesAt[i], (byte) bytesAt[i + 1]);
        }
        return s;
    }

    private static void half(MemorySegment s, long offset, float value) {
        s.set(TestRows.SHORT, offset, Float.floatToFloat16(value));
    }

    private static float[] decode(GgmlType type, MemorySegment s) {
        float[] out = new float[type.blockSize()];
        Dequantizer.dequantize(type, s, 0, out, 0, out.length);
        return out;
    }

    @Test
    void decodesHandBuiltLegacyBlocks() {
        // Q4_0: byte j holds element j (low nibble) and j + 16 (high nibble); value (q − 8)·d
        MemorySegment q40 = block(18, 2, 0x21, 17, 0xF0);
        half(q40, 0, 0.5f);
        float[] v = decode(GgmlType.Q4_0, q40);
        assertEquals(-3.5f, v[0]);
        assertEquals(-3f, v[16]);
        assertEquals(-4f, v[15]);
        assertEquals(3.5f, v[31]);
        assertEquals(-4f, v[1]);

        // Q5_1: bit e of qh is bit 4 of element e; value q·d + m
        MemorySegment q51 = block(24, 4, 0x01, 7, 0x80, 23, 0xF0);
        half(q51, 0, 1f);
        half(q51, 2, 0.5f);
        v = decode(GgmlType.Q5_1, q51);
        assertEquals(16.5f, v[0]);
        assertEquals(31.5f, v[31]);
        assertEquals(0.5f, v[15]);

        // IQ4_NL: d·T[q]
        MemorySegment iq = block(18, 2, 0xF0);
        half(iq, 0, 2f);
        v = decode(GgmlType.IQ4_NL, iq);
        assertEquals(-254f, v[0]);
        assertEquals(226f, v[16]);
        assertEquals(-254f, v[1]);

        // Q8_0: signed bytes times d
        MemorySegment q80 = block(34, 5, 0x80, 6, 0x7F);
        half(q80, 0, 0.25f);
        v = decode(GgmlType.Q8_0, q80);
        assertEquals(-32f, v[3]);
        assertEquals(31.75f, v[4]);
    }

    @Test
    void decodesHandBuiltKQuantBlocks() {
        // Q3_K: scale 0 = (1 | 0 << 4) − 32 = −31; scale 8 = (0 | 3 << 4) − 32 = 16; hmask bit set means no −4
        MemorySegment q3 = block(110, 96, 0x01, 96 + 8, 0x30, 32, 0x03, 0, 0x10, 32 + 32, 0x02);
        half(q3, 108, 1f);
        float[] v = decode(GgmlType.Q3_K, q3);
        assertEquals(-31f * (3 - 4), v[0]);
        assertEquals(-31f * -4, v[1]);
        assertEquals(16f * 2, v[128]);

        // Q4_K sub-block 5 (elements 160..191, high nibbles of qs 64..95): sc = lo(S[9]) | (S[1] >> 6) << 4 = 19,
        // m = hi(S[9]) | (S[5] >> 6) << 4 = 39; value (d·sc)·q − dmin·m
        MemorySegment q4 = block(144, 4 + 9, 0x73, 4 + 1, 0x40, 4 + 5, 0x80, 16 + 64, 0xA0);
        half(q4, 0, 1f);
        half(q4, 2, 1f);
        v = decode(GgmlType.Q4_K, q4);
        assertEquals(19f * 10 - 39, v[160]);
        assertEquals(-39f, v[161]);
        assertEquals(0f, v[32]);

        // Q6_K: q = (low4 | high2 << 4) − 32 with int8 scales; (d·sc)·q
        MemorySegment q6 = block(210, 0, 0x0F, 128, 0x02, 192, 0xFD);
        half(q6, 208, 0.5f);
        v = decode(GgmlType.Q6_K, q6);
        assertEquals(0.5f * -3 * 15, v[0]);
        assertEquals(0.5f * -3 * -32, v[1]);
    }

    @Test
    void decodesFloatTypesExactly() {
        MemorySegment s = Arena.ofAuto().allocate(8);
        s.set(TestRows.SHORT, 0, (short) 0x3C00);
        s.set(TestRows.SHORT, 2, (short) 0xC000);
        float[] out = new float[2];
        Dequantizer.dequantize(GgmlType.F16, s, 0, out, 0, 2);
        assertArrayEquals(new float[]{1f, -2f}, out);
        s.set(TestRows.SHORT, 0, (short) 0x3F80);
        s.set(TestRows.SHORT, 2, (short) 0xC0A0);
        Dequantizer.dequantize(GgmlType.BF16, s, 0, out, 0, 2);
        assertArrayEquals(new float[]{1f, -5f}, out);
        s.set(TestRows.FLOAT, 4, 1.25f);
        Dequantizer.dequantize(GgmlType.F32, s, 4, out, 1, 1);
        assertEquals(1.25f, out[1]);
    }

    @Test
    void rejectsUnsupportedTypesPartialBlocksAndShortSegments() {
        MemorySegment s = Arena.ofAuto().allocate(1024);
        for (GgmlType type : GgmlType.values()) {
            if (!type.isSupported()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Dequantizer.dequantize(type, s, 0, new float[256], 0, 256));
                assertTrue(e.getMessage().contains(type.name()), e.getMessage());
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> Dequantizer.dequantize(GgmlType.Q8_0, s, 0, new float[64], 0, 40));
        assertThrows(IndexOutOfBoundsException.class,
                () -> Dequantizer.dequantize(GgmlType.Q6_K, s, 900, new float[256], 0, 256));
        assertThrows(IndexOutOfBoundsException.class,
                () -> Dequantizer.dequantize(GgmlType.Q8_0, s, 0, new float[16], 0, 32));
    }
}
