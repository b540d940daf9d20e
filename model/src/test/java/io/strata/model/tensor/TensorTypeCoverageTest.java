package io.strata.model.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorTypeCoverageTest {

    @Test
    void theSupportedTypesAreExactlyTheFourteenWithReferenceCode() {
        Set<GgmlType> expected = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1,
                GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
                GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL);
        assertEquals(expected, Set.of(TestRows.SUPPORTED));
    }

    @Test
    void everySupportedTypeQuantizesDequantizesAndMultiplies() {
        int n = 512;
        float[] x = TestRows.gaussian(n, new Random(4));
        for (GgmlType type : TestRows.SUPPORTED) {
            MemorySegment row = Arena.ofAuto().allocate(type.byteSize(n));
            Quantizer.quantize(type, x, 0, n, row, 0);
            float[] back = new float[n];
            Dequantizer.dequantize(type, row, 0, back, 0, n);
            QuantizedActivations act = QuantizedActivations.forWeights(type, n);
            act.quantize(x, 0, n);
            float dot = DotProduct.dot(type, row, 0, act, 0, n);
            double selfDot = 0;
            for (int i = 0; i < n; i++) {
                selfDot += (double) x[i] * back[i];
            }
            // x·dequant(quant(x)) ≈ |x|²: a smoke check that the three agree on the layout of every type
            assertEquals(selfDot, dot, 0.02 * selfDot, type.toString());
        }
    }

    @Test
    void everyUnsupportedTypeIsRefusedByName() {
        MemorySegment row = Arena.ofAuto().allocate(4096);
        QuantizedActivations q8 = new QuantizedActivations(GgmlType.Q8_K, 256);
        q8.quantize(new float[256], 0, 256);
        for (GgmlType type : GgmlType.values()) {
            if (type.isSupported()) {
                continue;
            }
            for (Executable call : new Executable[]{
                    () -> Dequantizer.dequantize(type, row, 0, new float[256], 0, 256),
                    () -> DotProduct.dot(type, row, 0, q8, 0, 256),
                    () -> Quantizer.quantize(type, new float[256], 0, 256, row, 0),
                    () -> QuantizedActivations.vecDotType(type)}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, type.toString());
                assertTrue(e.getMessage().contains(type.name()), e.getMessage());
            }
        }
    }
}
