package io.strata.kernels.cpu;

import io.strata.model.tensor.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Weight matrices and activations for the kernel tests and timings: random bits with finite fp16 scales. */
final class WeightRows {
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private WeightRows() {
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
     * {@code rows} rows of {@code cols} elements, exactly as long as the data (so a kernel that reads past the
     * last block fails): every quant bit random, every fp16 scale a random finite value of about {@code scale}
     * with a random sign; float types get gaussian values.
     */
    static MemorySegment random(GgmlType type, int rows, int cols, Random rnd, float scale) {
        long n = (long) rows * cols;
        MemorySegment m = Arena.ofAuto().allocate(type.byteSize(n), 1);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < n; i++) {
                    m.setAtIndex(FLOAT, i, (float) rnd.nextGaussian());
                }
            }
            case F16 -> {
                for (long i = 0; i < n; i++) {
                    m.setAtIndex(SHORT, i, Float.floatToFloat16((float) rnd.nextGaussian()));
                }
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) {
                    m.setAtIndex(SHORT, i, (short) (Float.floatToRawIntBits((float) rnd.nextGaussian()) >>> 16));
                }
            }
            default -> {
                byte[] bytes = new byte[(int) m.byteSize()];
                rnd.nextBytes(bytes);
                MemorySegment.copy(bytes, 0, m, ValueLayout.JAVA_BYTE, 0, bytes.length);
                for (long block = 0; block < m.byteSize(); block += type.typeSize()) {
                    for (int field : halfFields(type)) {
                        m.set(SHORT, block + field, Float.floatToFloat16(
                                (float) (scale * (0.25 + rnd.nextDouble())) * (rnd.nextBoolean() ? 1 : -1)));
                    }
                }
            }
        }
        return m;
    }

    /** A matrix whose bytes all equal {@code fill} and whose fp16 fields all equal {@code half}. */
    static MemorySegment filled(GgmlType type, int rows, int cols, byte fill, float half) {
        MemorySegment m = Arena.ofAuto().allocate(type.byteSize((long) rows * cols), 1);
        m.fill(fill);
        for (long block = 0; block < m.byteSize(); block += type.typeSize()) {
            for (int field : halfFields(type)) {
                m.set(SHORT, block + field, Float.floatToFloat16(half));
            }
        }
        return m;
    }

    /** Activations for {@code tokens} rows of {@code cols}: gaussian values. */
    static Activations gaussian(int tokens, int cols, Random rnd) {
        Activations a = new Activations(tokens, cols);
        float[] v = a.values();
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        a.changed();
        return a;
    }
}
