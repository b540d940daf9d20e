package io.strata.model.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizedActivationsTest {

    private static QuantizedActivations quantized(GgmlType type, float[] x) {
        QuantizedActivations q = new QuantizedActivations(type, x.length);
        q.quantize(x, 0, x.length);
        return q;
    }

    @Test
    void mapsEveryWeightTypeToItsVecDotType() {
        assertEquals(GgmlType.F32, QuantizedActivations.vecDotType(GgmlType.F32));
        assertEquals(GgmlType.F16, QuantizedActivations.vecDotType(GgmlType.F16));
        assertEquals(GgmlType.BF16, QuantizedActivations.vecDotType(GgmlType.BF16));
        for (GgmlType t : new GgmlType[]{GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q8_0, GgmlType.IQ4_NL}) {
            assertEquals(GgmlType.Q8_0, QuantizedActivations.vecDotType(t));
        }
        assertEquals(GgmlType.Q8_1, QuantizedActivations.vecDotType(GgmlType.Q4_1));
        assertEquals(GgmlType.Q8_1, QuantizedActivations.vecDotType(GgmlType.Q5_1));
        for (GgmlType t : new GgmlType[]{GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
            assertEquals(GgmlType.Q8_K, QuantizedActivations.vecDotType(t));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuantizedActivations.vecDotType(GgmlType.IQ2_XXS));
        assertTrue(e.getMessage().contains("IQ2_XXS"));
    }

    @Test
    void q8_0RoundsTiesToEvenWithTheInverseScale127OverAmax() {
        float[] x = new float[32];
        x[0] = 127f;     // amax 127: inverse scale exactly 1, d = 1
        x[1] = 2.5f;     // ties go to even
        x[2] = 3.5f;
        x[3] = -2.5f;
        x[4] = -0.5f;
        x[5] = 0.49f;
        QuantizedActivations q = quantized(GgmlType.Q8_0, x);
        assertEquals(1f, q.scale(0));
        int[] expected = {127, 2, 4, -2, 0, 0};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], q.quant(i), "element " + i);
        }
    }

    @Test
    void q8_0UsesTheF32InverseNotTheReciprocalOfD() {
        // For this amax, 127f/amax and 1/(amax/127f) differ by an ulp, and x·(127/amax) lands just below 1.5
        float amax = Float.intBitsToFloat(1074707530);      // 2.2302423
        float x = Float.intBitsToFloat(1020774914);         // 0.026341442
        float[] v = new float[32];
        v[0] = amax;
        v[1] = x;
        QuantizedActivations q = quantized(GgmlType.Q8_0, v);
        assertEquals(1, q.quant(1), "AVX2 quantize_row_q8_0 rounds x·(127/amax)");
        assertEquals(2, (int) Math.rint(x * (1f / (amax / 127f))), "the reciprocal of d would give 2");
        assertEquals(Half.roundToF16(amax / 127f), q.scale(0), "d is stored as fp16(amax/127)");
    }

    @Test
    void q8_0SingleLargeValueAndZeroBlocks() {
        float[] x = new float[64];
        x[7] = -1000f;
        x[8] = 1f;
        x[9] = 4f;
        QuantizedActivations q = quantized(GgmlType.Q8_0, x);
        assertEquals(-127, q.quant(7));
        assertEquals(0, q.quant(8));
        assertEquals(1, q.quant(9), "4·127/1000 = 0.508 rounds up");
        assertEquals(Half.roundToF16(1000f / 127f), q.scale(0));
        assertEquals(0f, q.scale(1), "an all-zero block has d = 0");
        for (int i = 32; i < 64; i++) {
            assertEquals(0, q.quant(i));
        }
    }

    @Test
    void q8_1AddsSumTimesUnroundedD() {
        Random rnd = new Random(11);
        float[] x = TestRows.gaussian(96, rnd);
        QuantizedActivations q1 = quantized(GgmlType.Q8_1, x);
        QuantizedActivations q0 = quantized(GgmlType.Q8_0, x);
        for (int b = 0; b < 3; b++) {
            float amax = 0;
            int sum = 0;
            for (int i = 32 * b; i < 32 * b + 32; i++) {
                amax = Math.max(amax, Math.abs(x[i]));
                assertEquals(q0.quant(i), q1.quant(i));
                sum += q1.quant(i);
            }
            assertEquals(q0.scale(b), q1.scale(b));
            assertEquals(Half.roundToF16(amax / 127f * sum), q1.blockSum(b));
        }
        assertThrows(IllegalStateException.class, () -> q0.blockSum(0));
    }

    @Test
    void q8_kTakesTheSignOfTheLargestMagnitude() {
        float[] x = new float[256];
        x[3] = 2f;
        x[4] = -1f;
        QuantizedActivations q = quantized(GgmlType.Q8_K, x);
        assertEquals(-127, q.quant(3), "the largest element maps to −127");
        assertEquals(64, q.quant(4), "−1·(−127/2) = 63.5 rounds to even 64");
        assertEquals(1f / (-127f / 2f), q.scale(0));
        assertTrue(q.scale(0) < 0);

        x[3] = -2f;
        x[4] = 2f;  // same magnitude later: the first one wins
        q = quantized(GgmlType.Q8_K, x);
        assertEquals(-127, q.quant(3));
        assertEquals(127, q.quant(4));
        assertTrue(q.scale(0) > 0, "a negative max gives a positive d");
        assertEquals(0, q.groupSum(0));
    }

    @Test
    void q8_kBlockSumsAndZeroBlocks() {
        Random rnd = new Random(12);
        float[] x = TestRows.gaussian(512, rnd);
        java.util.Arrays.fill(x, 256, 512, 0f);
        QuantizedActivations q = quantized(GgmlType.Q8_K, x);
        for (int k = 0; k < 16; k++) {
            int sum = 0;
            for (int i = 16 * k; i < 16 * k + 16; i++) {
                sum += q.quant(i);
            }
            assertEquals(sum, q.groupSum(k));
        }
        assertEquals(0f, q.scale(1));
        for (int i = 256; i < 512; i++) {
            assertEquals(0, q.quant(i));
        }
        for (int k = 16; k < 32; k++) {
            assertEquals(0, q.groupSum(k));
        }
    }

    @Test
    void q8_kRoundsHalfToEvenLikeNearestInt() {
        float[] x = new float[256];
        x[0] = -127f;   // the largest magnitude (first of two): iscale = −127/−127 = 1
        x[1] = 126.5f;  // ties to even: 126
        x[2] = 127f;
        x[3] = -0.5f;   // −0.5 → 0
        x[4] = -1.5f;   // −1.5 → −2
        x[5] = 2.5f;    // 2.5 → 2
        QuantizedActivations q = quantized(GgmlType.Q8_K, x);
        assertEquals(1f, q.scale(0));
        int[] expected = {-127, 126, 127, 0, -2, 2};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], q.quant(i), "element " + i);
        }
    }

    @Test
    void floatFormatsRoundEachElement() {
        float[] x = {1f + 0x1p-11f, 1f + 3 * 0x1p-11f, Float.intBitsToFloat(0x3F818000), 0.1f};
        QuantizedActivations f16 = quantized(GgmlType.F16, x);
        assertEquals(1f, f16.value(0));
        assertEquals(1f + 0x1p-9f, f16.value(1));
        assertEquals(Half.roundToF16(0.1f), f16.value(3));
        QuantizedActivations bf16 = quantized(GgmlType.BF16, x);
        assertEquals(Float.intBitsToFloat(0x3F820000), bf16.value(2));
        QuantizedActivations f32 = quantized(GgmlType.F32, x);
        assertEquals(0.1f, f32.value(3));
        assertThrows(IllegalStateException.class, () -> f32.quant(0));
    }

    @Test
    void reusesItsBuffersAndChecksSizes() {
        QuantizedActivations q = new QuantizedActivations(GgmlType.Q8_0, 64);
        q.quantize(TestRows.gaussian(64, new Random(1)), 0, 64);
        float[] small = new float[40];
        small[8 + 3] = 5f;
        q.quantize(small, 8, 32);
        assertEquals(32, q.length());
        assertEquals(127, q.quant(3));
        assertThrows(IndexOutOfBoundsException.class, () -> q.quant(32));
        assertThrows(IllegalArgumentException.class, () -> q.quantize(new float[96], 0, 96));
        assertThrows(IllegalArgumentException.class, () -> q.quantize(new float[64], 0, 48));
        assertThrows(IllegalArgumentException.class, () -> new QuantizedActivations(GgmlType.Q8_K, 100));
        assertThrows(IllegalArgumentException.class, () -> new QuantizedActivations(GgmlType.Q4_0, 64));
    }
}
