package io.strata.model.gguf;

import java.util.Objects;

/**
 * One metadata value with its stored type. Scalars are held as Byte, Short, Integer, Long (unsigned types in
 * the signed Java type of the same width), Float, Double, Boolean or String; arrays as {@link GgufArray}.
 */
public record GgufValue(GgufValueType type, Object value) {

    /** The value must be held in the class its type calls for, or the writer would emit a corrupt file. */
    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if (type.scalarClass() != value.getClass()) {
            throw new IllegalArgumentException(type + " value must be a " + type.scalarClass().getSimpleName()
                    + ", not a " + value.getClass().getSimpleName());
        }
    }

    public static GgufValue of(String s) { return new GgufValue(GgufValueType.STRING, s); }

    public static GgufValue uint32(int v) { return new GgufValue(GgufValueType.UINT32, v); }

    public static GgufValue int32(int v) { return new GgufValue(GgufValueType.INT32, v); }

    public static GgufValue float32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }

    public static GgufValue bool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }

    public static GgufValue array(GgufArray a) { return new GgufValue(GgufValueType.ARRAY, a); }

    /** The value as a long when it is any integer type (unsigned types widened without sign), else null. */
    public Long asLong() {
        return switch (type) {
            case UINT8 -> (long) Byte.toUnsignedInt((Byte) value);
            case UINT16 -> (long) Short.toUnsignedInt((Short) value);
            case UINT32 -> Integer.toUnsignedLong((Integer) value);
            case INT8, INT16, INT32, INT64, UINT64 -> ((Number) value).longValue();
            default -> null;
        };
    }

    /** The value as a double when it is a number, else null. */
    public Double asDouble() {
        if (type == GgufValueType.FLOAT32 || type == GgufValueType.FLOAT64) {
            return ((Number) value).doubleValue();
        }
        Long l = asLong();
        return l == null ? null : l.doubleValue();
    }

    @Override
    public String toString() {
        return type == GgufValueType.STRING ? '"' + (String) value + '"' : String.valueOf(value);
    }
}
