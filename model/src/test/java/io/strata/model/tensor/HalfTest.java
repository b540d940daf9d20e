package io.strata.model.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HalfTest {

    private static short bf16(int f32Bits) {
        return Half.f32ToBf16(Float.intBitsToFloat(f32Bits));
    }

    @Test
    void f16RoundsToNearestEven() {
        assertEquals((short) 0x3C00, Half.f32ToF16(1f));
        assertEquals((short) 0x3C00, Half.f32ToF16(1f + 0x1p-11f), "halfway between 1 and its successor: even");
        assertEquals((short) 0x3C02, Half.f32ToF16(1f + 3 * 0x1p-11f), "halfway, odd below: up to even");
        assertEquals((short) 0x3C01, Half.f32ToF16(1f + 0x1p-11f + 0x1p-20f), "just above halfway: up");
        assertEquals((short) 0x7C00, Half.f32ToF16(65520f), "rounds to infinity past the largest half");
        assertEquals((short) 0x7BFF, Half.f32ToF16(65519f));
        assertEquals((short) 0x0001, Half.f32ToF16(0x1p-24f), "smallest subnormal");
        assertEquals((short) 0x0000, Half.f32ToF16(0x1p-25f), "halfway to the smallest subnormal: even (zero)");
        assertEquals(-2f, Half.f16ToF32((short) 0xC000));
        assertEquals(1f + 0x1p-10f, Half.roundToF16(1f + 0x1p-10f + 0x1p-13f));
    }

    @Test
    void bf16FollowsGgmlsRule() {
        assertEquals((short) 0x3F80, bf16(0x3F808000), "tie, even below: stays");
        assertEquals((short) 0x3F82, bf16(0x3F818000), "tie, odd below: up to even");
        assertEquals((short) 0x3F81, bf16(0x3F808001), "above the tie: up");
        assertEquals((short) 0xBF81, bf16(0xBF80FFFF), "negative values round by magnitude");
        assertEquals((short) 0x7F80, bf16(0x7F7FFFFF), "largest float rounds to infinity");
        assertEquals((short) 0x0001, bf16(0x00008000 + 1), "subnormals round, no flush");
        assertEquals((short) 0x7FC1, bf16(0x7F810000), "signalling NaN keeps its top bits and becomes quiet");
        assertEquals((short) 0xFFC0, bf16(0xFFC00001), "quiet NaN is not rounded into another value");
        assertEquals(-5f, Half.bf16ToF32((short) 0xC0A0));
        assertTrue(Float.isNaN(Half.roundToBf16(Float.NaN)));
        assertEquals(Float.intBitsToFloat(0x40490000), Half.roundToBf16((float) Math.PI));
    }
}
