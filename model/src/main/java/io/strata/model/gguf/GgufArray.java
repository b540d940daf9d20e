package io.strata.model.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * A metadata array. {@code values} is a primitive array of the element width (byte[] for UINT8, INT8 and BOOL;
 * short[]; int[]; long[]; float[]; double[]), a String[] or, for nested arrays, a GgufArray[].
 */
public record GgufArray(GgufValueType elementType, Object values) {

    /** The values must be held in the array class the element type calls for, or the writer would emit a corrupt file. */
    public GgufArray {
        Objects.requireNonNull(elementType, "elementType");
        Objects.requireNonNull(values, "values");
        if (elementType.arrayClass() != values.getClass()) {
            throw new IllegalArgumentException(elementType + " array must be a " + elementType.arrayClass().getSimpleName()
                    + ", not a " + values.getClass().getSimpleName());
        }
    }

    public int length() {
        return switch (values) {
            case byte[] a -> a.length;
            case short[] a -> a.length;
            case int[] a -> a.length;
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case Object[] a -> a.length;
            default -> throw new IllegalStateException("not an array: " + values);
        };
    }

    /** Element i widened to long (integer and bool arrays); unsigned types are widened without sign. */
    public long longAt(int i) {
        return switch (elementType) {
            case UINT8, BOOL -> Byte.toUnsignedInt(((byte[]) values)[i]);
            case INT8 -> ((byte[]) values)[i];
            case UINT16 -> Short.toUnsignedInt(((short[]) values)[i]);
            case INT16 -> ((short[]) values)[i];
            case UINT32 -> Integer.toUnsignedLong(((int[]) values)[i]);
            case INT32 -> ((int[]) values)[i];
            case UINT64, INT64 -> ((long[]) values)[i];
            case FLOAT32 -> (long) ((float[]) values)[i];
            case FLOAT64 -> (long) ((double[]) values)[i];
            default -> throw new IllegalStateException(elementType + " array is not numeric");
        };
    }

    @Override
    public String toString() {
        int n = length();
        String head = switch (values) {
            case String[] s -> Arrays.toString(Arrays.copyOf(s, Math.min(n, 8)));
            case GgufArray[] a -> Arrays.toString(Arrays.copyOf(a, Math.min(n, 8)));
            default -> {
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < Math.min(n, 8); i++) {
                    sb.append(i == 0 ? "" : ", ");
                    sb.append(elementType == GgufValueType.FLOAT32 ? ((float[]) values)[i]
                            : elementType == GgufValueType.FLOAT64 ? ((double[]) values)[i] : longAt(i));
                }
                yield sb.append("]").toString();
            }
        };
        return elementType + "[" + n + "] " + (n > 8 ? head.substring(0, head.length() - 1) + ", ...]" : head);
    }
}
