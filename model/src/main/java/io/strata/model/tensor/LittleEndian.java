package io.strata.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Reads and writes of the little-endian, unaligned fields of ggml blocks (formats.md 2: all multi-byte values are
 * little-endian and blocks are packed with no alignment). One place for the layouts so no kernel spells them out.
 */
final class LittleEndian {
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {
    }

    /** Unsigned byte. */
    static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** Signed byte. */
    static int i8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset);
    }

    /** Four bytes as one int: byte {@code offset} lands in bits 0-7, so element order is bit order. */
    static int i32(MemorySegment s, long offset) {
        return s.get(INT, offset);
    }

    /** Eight bytes as one long, byte {@code offset} in bits 0-7. */
    static long i64(MemorySegment s, long offset) {
        return s.get(LONG, offset);
    }

    /** An F16 field (a block scale) widened to f32. */
    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(SHORT, offset));
    }

    static float f32(MemorySegment s, long offset) {
        return s.get(FLOAT, offset);
    }

    static void putU8(MemorySegment s, long offset, int value) {
        s.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
    }

    static void putI16(MemorySegment s, long offset, short value) {
        s.set(SHORT, offset, value);
    }

    static void putI32(MemorySegment s, long offset, int value) {
        s.set(INT, offset, value);
    }

    /** Stores {@code fp16(value)}. */
    static void putF16(MemorySegment s, long offset, float value) {
        s.set(SHORT, offset, Float.floatToFloat16(value));
    }

    static void putF32(MemorySegment s, long offset, float value) {
        s.set(FLOAT, offset, value);
    }
}
