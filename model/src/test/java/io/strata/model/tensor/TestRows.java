package io.strata.model.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Builds weight rows and activation vectors for the tests: random bytes with sane fp16 scales, or fixed fills. */
final class TestRows {
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The weight types the engine supports, in GgmlType order. */
    static final GgmlType[] SUPPORTED = java.util.Arrays.stream(GgmlType.values())
            .filter(GgmlType::isSupported).toArray(GgmlType[]::new);

    private TestRows() {
    }

    /** Byte offsets of the fp16 fields (d, dmin, m) inside one block of {@code type}. */
    static int[] halfFields(GgmlType type) {
        return switch (type) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL -> new int[]{0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[]{0, 2};
            case Q2_K -> new int[]{80, 82};
            case Q3_K -> new int[]{108};
            case Q6_K -> new int[]{208};
            default -> new int[0];
        };
    }

    /**
     * A row of n elements with every quant bit random and every fp16 scale a random finite value of about
     * {@code scale} (positive or negative, as a hostile or unusual file could hold). Float types get gaussian values.
     */
    static MemorySegment randomRow(GgmlType type, int n, Random rnd, float scale) {
        MemorySegment row = Arena.ofAuto().allocate(type.byteSize(n));
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    row.setAtIndex(FLOAT, i, (float) rnd.nextGaussian());
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    row.setAtIndex(SHORT, i, Float.floatToFloat16((float) rnd.nextGaussian()));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    row.setAtIndex(SHORT, i, Half.f32ToBf16((float) rnd.nextGaussian()));
                }
            }
            default -> {
                byte[] bytes = new byte[(int) row.byteSize()];
                rnd.nextBytes(bytes);
                MemorySegment.copy(bytes, 0, row, ValueLayout.JAVA_BYTE, 0, bytes.length);
                for (long block = 0; block < row.byteSize(); block += type.typeSize()) {
                    for (int field : halfFields(type)) {
                        row.set(SHORT, block + field, Float.floatToFloat16((float) (scale * (0.25 + rnd.nextDouble()))
                                * (rnd.nextBoolean() ? 1 : -1)));
                    }
                }
            }
        }
        return row;
    }

    /** A row whose quant bytes all equal {@code fill} and whose fp16 fields all equal {@code half}. */
    static MemorySegment filledRow(GgmlType type, int n, byte fill, float half) {
        MemorySegment row = Arena.ofAuto().allocate(type.byteSize(n));
        row.fill(fill);
        for (long block = 0; block < row.byteSize(); block += type.typeSize()) {
            for (int field : halfFields(type)) {
                row.set(SHORT, block + field, Float.floatToFloat16(half));
            }
        }
        return row;
    }

    static float[] gaussian(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
