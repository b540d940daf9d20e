package io.strata.model.gguf;

import io.strata.model.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Everything {@link GgufWriter} can write reads back through {@link GgufFile} unchanged. */
class GgufWriterTest {
    @TempDir
    Path dir;

    @Test
    void everyScalarTypeRoundTripsWithItsExtremes() {
        Map<String, GgufValue> values = new LinkedHashMap<>();
        values.put("u8", new GgufValue(GgufValueType.UINT8, (byte) 0xFF));
        values.put("i8", new GgufValue(GgufValueType.INT8, Byte.MIN_VALUE));
        values.put("u16", new GgufValue(GgufValueType.UINT16, (short) 0xFFFF));
        values.put("i16", new GgufValue(GgufValueType.INT16, Short.MIN_VALUE));
        values.put("u32", new GgufValue(GgufValueType.UINT32, 0xFFFF_FFFF));
        values.put("i32", new GgufValue(GgufValueType.INT32, Integer.MIN_VALUE));
        values.put("f32", new GgufValue(GgufValueType.FLOAT32, -0.0f));
        values.put("nan", new GgufValue(GgufValueType.FLOAT32, Float.NaN));
        values.put("true", new GgufValue(GgufValueType.BOOL, true));
        values.put("false", new GgufValue(GgufValueType.BOOL, false));
        values.put("str", new GgufValue(GgufValueType.STRING, "héllo ▁wörld 🙂"));
        values.put("empty", new GgufValue(GgufValueType.STRING, ""));
        values.put("u64", new GgufValue(GgufValueType.UINT64, -1L));
        values.put("i64", new GgufValue(GgufValueType.INT64, Long.MIN_VALUE));
        values.put("f64", new GgufValue(GgufValueType.FLOAT64, Math.PI));
        GgufWriter w = new GgufWriter();
        values.forEach(w::put);

        try (GgufFile f = writeAndOpen(w)) {
            assertEquals(values, f.metadata().asMap(), "type and value of every key");
            assertEquals(255L, f.metadata().getLong("u8"), "unsigned types widen without sign");
            assertEquals(65535L, f.metadata().getLong("u16"));
            assertEquals(4294967295L, f.metadata().getLong("u32"));
            assertEquals(-128L, f.metadata().getLong("i8"));
            assertEquals(-1L, f.metadata().getLong("u64"), "UINT64 >= 2^63 stays in a signed long; getCount refuses it");
            assertThrows(io.strata.model.ModelFormatException.class, () -> f.metadata().getCount("u64"));
        }
    }

    @Test
    void everyArrayElementTypeRoundTrips() {
        Map<String, GgufArray> arrays = new LinkedHashMap<>();
        arrays.put("u8", new GgufArray(GgufValueType.UINT8, new byte[]{0, 1, (byte) 0xFF}));
        arrays.put("i8", new GgufArray(GgufValueType.INT8, new byte[]{-128, 127}));
        arrays.put("u16", new GgufArray(GgufValueType.UINT16, new short[]{(short) 0xFFFF, 7}));
        arrays.put("i16", new GgufArray(GgufValueType.INT16, new short[]{Short.MIN_VALUE}));
        arrays.put("u32", new GgufArray(GgufValueType.UINT32, new int[]{0xFFFF_FFFF, 0}));
        arrays.put("i32", new GgufArray(GgufValueType.INT32, new int[]{-1, Integer.MAX_VALUE}));
        arrays.put("f32", new GgufArray(GgufValueType.FLOAT32, new float[]{1.5f, Float.NEGATIVE_INFINITY}));
        arrays.put("bool", new GgufArray(GgufValueType.BOOL, new byte[]{1, 0, 1}));
        arrays.put("str", new GgufArray(GgufValueType.STRING, new String[]{"", "a", "<0x0A>", "▁the"}));
        arrays.put("u64", new GgufArray(GgufValueType.UINT64, new long[]{-1L}));
        arrays.put("i64", new GgufArray(GgufValueType.INT64, new long[]{Long.MIN_VALUE, 0}));
        arrays.put("f64", new GgufArray(GgufValueType.FLOAT64, new double[]{Math.E}));
        arrays.put("none", new GgufArray(GgufValueType.INT32, new int[0]));
        GgufWriter w = new GgufWriter();
        arrays.forEach(w::putArray);

        try (GgufFile f = writeAndOpen(w)) {
            arrays.forEach((key, a) -> assertSameArray(a, f.metadata().getArray(key), key));
            assertEquals(4294967295L, f.metadata().getArray("u32").longAt(0));
            assertArrayEquals(new int[]{1, 0, 1}, f.metadata().getIntArray("bool"));
        }
    }

    @Test
    void nestedArraysRoundTripIncludingEmptyAndStringArrays() {
        GgufArray inner = new GgufArray(GgufValueType.ARRAY, new GgufArray[]{
                new GgufArray(GgufValueType.STRING, new String[]{"x", ""}),
                new GgufArray(GgufValueType.ARRAY, new GgufArray[0]),
                new GgufArray(GgufValueType.UINT8, new byte[]{9})});
        GgufArray outer = new GgufArray(GgufValueType.ARRAY, new GgufArray[]{inner, inner,
                new GgufArray(GgufValueType.FLOAT64, new double[]{1, 2})});
        try (GgufFile f = writeAndOpen(new GgufWriter().putArray("nested", outer).putUint32("after", 7))) {
            assertSameArray(outer, f.metadata().getArray("nested"), "nested");
            assertEquals(7, f.metadata().getCount("after"), "the entry after a nested array is read from the right place");
        }
    }

    @Test
    void writerRefusesWhatTheReaderWouldRefuse() {
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().addTensor("x".repeat(64), new long[]{1}, GgmlType.F32, s -> {}));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter()
                .addTensor("w", new long[]{1}, GgmlType.F32, s -> {}).addTensor("w", new long[]{1}, GgmlType.F32, s -> {}));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().addTensor("w", new long[]{1, 1, 1, 1, 1}, GgmlType.F32, s -> {}));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().addTensor("w", new long[]{-1}, GgmlType.F32, s -> {}));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().addTensor("w", new long[]{16}, GgmlType.Q4_0, s -> {}));
        for (GgufValue bad : new GgufValue[]{GgufValue.uint32(0), GgufValue.uint32(48), GgufValue.of("32"), GgufValue.float32(32)}) {
            GgufWriter w = new GgufWriter().put(GgufMetadata.ALIGNMENT_KEY, bad);
            assertThrows(IllegalArgumentException.class, () -> w.write(dir.resolve("bad.gguf")), bad.toString());
        }
        GgufArray tooDeep = new GgufArray(GgufValueType.INT32, new int[0]);
        for (int i = 0; i < GgufFile.MAX_ARRAY_NESTING; i++) {
            tooDeep = new GgufArray(GgufValueType.ARRAY, new GgufArray[]{tooDeep});
        }
        GgufWriter deep = new GgufWriter().putArray("deep", tooDeep);
        assertThrows(IllegalArgumentException.class, () -> deep.write(dir.resolve("deep.gguf")));
    }

    @Test
    void valuesMustBeHeldInTheClassTheirTypeNames() {
        // Otherwise the writer would put 8-byte elements under a 4-byte element type and emit a corrupt file.
        assertThrows(IllegalArgumentException.class, () -> new GgufArray(GgufValueType.UINT32, new long[]{1}));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.UINT64, 1));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.BOOL, (byte) 1));
    }

    @Test
    void customAlignmentPlacesEveryTensorOnItsMultiple() {
        GgufWriter w = new GgufWriter().putUint32(GgufMetadata.ALIGNMENT_KEY, 64)
                .addTensor("a", new long[]{3}, GgmlType.F32, s -> s.fill((byte) 1))
                .addTensor("b", new long[]{5}, GgmlType.F32, s -> s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 4, 2.5f));
        try (GgufFile f = writeAndOpen(w)) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataStart() % 64);
            assertEquals(64, f.tensor("b").offset());
            assertEquals(2.5f, f.data(f.tensor("b")).getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 4));
        }
    }

    private GgufFile writeAndOpen(GgufWriter w) {
        try {
            Path p = dir.resolve("t.gguf");
            w.write(p);
            return GgufFile.open(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Element type and contents equal, recursively (records compare arrays by identity). */
    static void assertSameArray(GgufArray expected, GgufArray actual, String where) {
        assertNotNull(actual, where);
        assertEquals(expected.elementType(), actual.elementType(), where);
        assertEquals(expected.length(), actual.length(), where);
        if (expected.values() instanceof GgufArray[] e) {
            GgufArray[] a = (GgufArray[]) actual.values();
            for (int i = 0; i < e.length; i++) {
                assertSameArray(e[i], a[i], where + "[" + i + "]");
            }
        } else {
            assertTrue(java.util.Objects.deepEquals(expected.values(), actual.values()), where + ": " + actual);
        }
    }
}
