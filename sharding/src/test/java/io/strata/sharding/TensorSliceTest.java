package io.strata.sharding;

import io.strata.model.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TensorSliceTest {
    /** A Q4_K down projection: 768 columns = 3 blocks of 144 bytes per row, 4 rows. */
    private static final WeightTensor DOWN = new WeightTensor("blk.0.ffn_down.weight", GgmlType.Q4_K, 768, 4);

    @Test
    void aColumnCutIsOneRangeOfWholeBlocksPerRow() {
        final TensorSlice s = TensorSlice.of(DOWN, TensorSlice.Role.OWNED, Span.of(0, 4), Span.of(256, 768));
        assertEquals(2 * 144, s.bytesPerRow());
        assertEquals(4 * 2 * 144, s.bytes());
        assertEquals(2 * 3 * 144 + 144, s.byteOffset(2, DOWN.columns()));
    }

    @Test
    void aRowCutIsOneContiguousRange() {
        final TensorSlice s = TensorSlice.of(DOWN, TensorSlice.Role.OWNED, Span.of(1, 3), Span.of(0, 768));
        assertEquals(DOWN.rowBytes(), s.bytesPerRow());
        assertEquals(s.byteOffset(1, DOWN.columns()) + s.bytesPerRow(), s.byteOffset(2, DOWN.columns()));
        assertEquals(2 * DOWN.rowBytes(), s.bytes());
        assertThrows(IllegalArgumentException.class, () -> s.byteOffset(3, DOWN.columns()));
    }
}
