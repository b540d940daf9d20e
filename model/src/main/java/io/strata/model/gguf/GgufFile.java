package io.strata.model.gguf;

import io.strata.model.ModelFormatException;
import io.strata.model.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3) mapped into memory. The header is parsed once; tensor data stays in the mapping
 * and is handed out as {@link MemorySegment} slices, never copied onto the heap.
 *
 * <p>Every count, length, offset and dimension is checked against the bytes that remain before it is used, so a
 * hostile file fails with a {@link ModelFormatException} (file, field, byte offset) rather than an
 * OutOfMemoryError or a huge allocation.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    public static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;
    static final int MAX_NAME_BYTES = 64;
    /** Arrays nested deeper than this are refused: no real file nests at all, and recursion must stay bounded. */
    static final int MAX_ARRAY_NESTING = 8;

    private final String name;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, GgufTensorInfo> tensors;
    private final long dataStart;
    private final int alignment;

    private GgufFile(String name, Arena arena, MemorySegment file, int version, GgufMetadata metadata,
                     Map<String, GgufTensorInfo> tensors, long dataStart, int alignment) {
        this.name = name;
        this.arena = arena;
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataStart = dataStart;
        this.alignment = alignment;
    }

    /** Maps and parses the file. The caller closes it; tensor segments are invalid afterwards. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return parse(path.toString(), seg, arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelFormatException(path, "file", ModelFormatException.NO_OFFSET, "file not found");
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(path, "file", ModelFormatException.NO_OFFSET, "cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses a GGUF image already in memory (tests, fuzzing). {@code arena} may be null; it is closed with the file. */
    public static GgufFile parse(String name, MemorySegment bytes, Arena arena) {
        return new Parser(name, bytes).parse(arena);
    }

    public String name() { return name; }

    public int version() { return version; }

    public GgufMetadata metadata() { return metadata; }

    /** Tensor infos in file order. */
    public Map<String, GgufTensorInfo> tensors() { return tensors; }

    public GgufTensorInfo tensor(String tensorName) { return tensors.get(tensorName); }

    public int alignment() { return alignment; }

    public long dataStart() { return dataStart; }

    public long fileSize() { return file.byteSize(); }

    /** The tensor's bytes, a slice of the mapping (bounds were checked at parse time). */
    public MemorySegment data(GgufTensorInfo t) {
        return file.asSlice(dataStart + t.offset(), t.byteSize());
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    /** Reads the header with a bounds-checked cursor. */
    private static final class Parser {
        private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final String name;
        private final MemorySegment seg;
        private final long size;
        private long pos;

        Parser(String name, MemorySegment seg) {
            this.name = name;
            this.seg = seg;
            this.size = seg.byteSize();
        }

        GgufFile parse(Arena arena) {
            need(4, "magic");
            int magic = seg.get(U32, 0);
            if (magic != MAGIC) {
                throw fail("magic", 0, String.format("not a GGUF file (first bytes %08x, expected 'GGUF')", Integer.reverseBytes(magic)));
            }
            pos = 4;
            long versionAt = pos;
            int version = u32("version");
            if (version == 1) {
                throw fail("version", versionAt, "GGUF version 1 is obsolete and not supported (re-convert the model)");
            }
            if (version != 2 && version != 3) {
                throw fail("version", versionAt, "unsupported GGUF version " + Integer.toUnsignedString(version)
                        + " (supported: 2, 3; a byte-swapped big-endian file also shows up like this)");
            }
            long tensorCountAt = pos;
            long tensorCount = u64("tensor_count");
            long kvCountAt = pos;
            long kvCount = u64("kv_count");
            // Each metadata entry takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor info at least 8+4+8+4+8.
            checkCount(kvCount, 13, "kv_count", kvCountAt);
            checkCount(tensorCount, 32, "tensor_count", tensorCountAt);

            Map<String, GgufValue> values = new LinkedHashMap<>();
            Map<String, Long> offsets = new HashMap<>();
            for (long i = 0; i < kvCount; i++) {
                long keyAt = pos;
                String key = string("metadata key #" + i);
                if (values.containsKey(key)) {
                    throw fail("metadata key '" + key + "'", keyAt, "duplicate key");
                }
                long typeAt = pos;
                GgufValueType type = valueType("metadata '" + key + "' type", typeAt);
                offsets.put(key, pos);
                values.put(key, new GgufValue(type, value(type, "metadata '" + key + "'", 0)));
            }
            GgufMetadata metadata = new GgufMetadata(name, values, offsets);

            int alignment = DEFAULT_ALIGNMENT;
            GgufValue a = values.get("general.alignment");
            if (a != null) {
                Long al = a.asLong();
                if (al == null || al <= 0 || al > (1 << 30) || Long.bitCount(al) != 1) {
                    throw fail("metadata 'general.alignment'", offsets.get("general.alignment"),
                            "must be a power of two, found " + a);
                }
                alignment = al.intValue();
            }

            record Pending(String name, long[] shape, GgmlType type, long offset, long size, long at) {}
            List<Pending> pending = new ArrayList<>();
            Map<String, Boolean> seen = new HashMap<>();
            for (long i = 0; i < tensorCount; i++) {
                long at = pos;
                String tname = string("tensor #" + i + " name");
                if (tname.getBytes(StandardCharsets.UTF_8).length >= MAX_NAME_BYTES) {
                    throw fail("tensor '" + tname + "' name", at, "name is " + MAX_NAME_BYTES + " bytes or longer");
                }
                if (seen.put(tname, Boolean.TRUE) != null) {
                    throw fail("tensor '" + tname + "'", at, "duplicate tensor name");
                }
                String f = "tensor '" + tname + "'";
                long dimsAt = pos;
                int nDims = u32(f + " n_dims");
                if (nDims < 1 || nDims > MAX_DIMS) {
                    throw fail(f + " n_dims", dimsAt, "must be 1.." + MAX_DIMS + ", found " + Integer.toUnsignedString(nDims));
                }
                long[] shape = new long[nDims];
                long elements = 1;
                for (int d = 0; d < nDims; d++) {
                    long dimAt = pos;
                    shape[d] = u64(f + " ne[" + d + "]");
                    if (shape[d] < 0 || shape[d] > size * 8) {
                        throw fail(f + " ne[" + d + "]", dimAt, "dimension " + Long.toUnsignedString(shape[d]) + " is impossible for a file of " + size + " bytes");
                    }
                    try {
                        elements = Math.multiplyExact(elements, shape[d]);
                    } catch (ArithmeticException e) {
                        throw fail(f + " shape", dimAt, "element count overflows");
                    }
                }
                long typeAt = pos;
                int typeId = u32(f + " type");
                GgmlType type = GgmlType.byId(typeId);
                if (type == null) {
                    throw fail(f + " type", typeAt, "unknown ggml type id " + Integer.toUnsignedString(typeId));
                }
                if (shape[0] % type.blockSize() != 0) {
                    throw fail(f + " ne[0]", dimsAt + 4, "row length " + shape[0] + " is not a multiple of the " + type + " block size " + type.blockSize());
                }
                long offAt = pos;
                long offset = u64(f + " offset");
                if (offset < 0 || offset % alignment != 0) {
                    throw fail(f + " offset", offAt, "offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment);
                }
                long bytes;
                try {
                    bytes = type.byteSize(elements);
                } catch (ArithmeticException e) {
                    throw fail(f + " shape", dimsAt, "byte size overflows");
                }
                pending.add(new Pending(tname, shape, type, offset, bytes, offAt));
            }
            long dataStart = alignUp(pos, alignment);
            if (tensorCount > 0 && dataStart > size) {
                throw fail("data section", pos, "file ends before the tensor data (needs padding to " + dataStart + ", file has " + size + " bytes)");
            }
            long dataSize = size - Math.min(dataStart, size);
            Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
            for (Pending p : pending) {
                if (p.offset > dataSize || p.size > dataSize - p.offset) {
                    throw fail("tensor '" + p.name + "' data", p.at, "bytes [" + (dataStart + p.offset) + ", "
                            + (dataStart + p.offset + p.size) + ") lie beyond the end of the file (" + size + " bytes): truncated or corrupt");
                }
                tensors.put(p.name, new GgufTensorInfo(p.name, p.shape, p.type, p.offset, p.size));
            }
            return new GgufFile(name, arena, seg, version, metadata, Collections.unmodifiableMap(tensors), dataStart, alignment);
        }

        private Object value(GgufValueType type, String field, int depth) {
            long at = pos;
            return switch (type) {
                case UINT8, INT8 -> { need(1, field); yield seg.get(ValueLayout.JAVA_BYTE, pos++); }
                case BOOL -> {
                    need(1, field);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                    if (b != 0 && b != 1) {
                        throw fail(field, at, "bool must be 0 or 1, found " + Byte.toUnsignedInt(b));
                    }
                    yield b == 1;
                }
                case UINT16, INT16 -> { need(2, field); short s = seg.get(U16, pos); pos += 2; yield s; }
                case UINT32, INT32 -> u32(field);
                case FLOAT32 -> { need(4, field); float f = seg.get(F32, pos); pos += 4; yield f; }
                case UINT64, INT64 -> { need(8, field); long l = seg.get(U64, pos); pos += 8; yield l; }
                case FLOAT64 -> { need(8, field); double d = seg.get(F64, pos); pos += 8; yield d; }
                case STRING -> string(field);
                case ARRAY -> array(field, depth);
            };
        }

        private GgufArray array(String field, int depth) {
            if (depth >= MAX_ARRAY_NESTING) {
                throw fail(field, pos, "arrays nested more than " + MAX_ARRAY_NESTING + " deep");
            }
            long typeAt = pos;
            GgufValueType et = valueType(field + " element type", typeAt);
            long countAt = pos;
            long count = u64(field + " element count");
            checkCount(count, et.minBytes(), field + " element count", countAt);
            if (count > Integer.MAX_VALUE - 8) {
                throw fail(field + " element count", countAt, "array of " + count + " elements is too large");
            }
            int n = (int) count;
            switch (et) {
                case UINT8, INT8, BOOL -> {
                    byte[] b = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
                    if (et == GgufValueType.BOOL) {
                        for (int i = 0; i < n; i++) {
                            if (b[i] != 0 && b[i] != 1) {
                                throw fail(field + "[" + i + "]", pos + i, "bool must be 0 or 1");
                            }
                        }
                    }
                    pos += n;
                    return new GgufArray(et, b);
                }
                case UINT16, INT16 -> { short[] s = seg.asSlice(pos, 2L * n).toArray(U16); pos += 2L * n; return new GgufArray(et, s); }
                case UINT32, INT32 -> { int[] v = seg.asSlice(pos, 4L * n).toArray(U32); pos += 4L * n; return new GgufArray(et, v); }
                case FLOAT32 -> { float[] v = seg.asSlice(pos, 4L * n).toArray(F32); pos += 4L * n; return new GgufArray(et, v); }
                case UINT64, INT64 -> { long[] v = seg.asSlice(pos, 8L * n).toArray(U64); pos += 8L * n; return new GgufArray(et, v); }
                case FLOAT64 -> { double[] v = seg.asSlice(pos, 8L * n).toArray(F64); pos += 8L * n; return new GgufArray(et, v); }
                case STRING -> {
                    String[] s = new String[n];
                    for (int i = 0; i < n; i++) {
                        s[i] = string(field + "[" + i + "]");
                    }
                    return new GgufArray(et, s);
                }
                case ARRAY -> {
                    GgufArray[] nested = new GgufArray[n];
                    for (int i = 0; i < n; i++) {
                        nested[i] = array(field + "[" + i + "]", depth + 1);
                    }
                    return new GgufArray(et, nested);
                }
            }
            throw new AssertionError(et);
        }

        private GgufValueType valueType(String field, long at) {
            int id = u32(field);
            GgufValueType t = GgufValueType.byId(id);
            if (t == null) {
                throw fail(field, at, "unknown metadata value type " + Integer.toUnsignedString(id));
            }
            return t;
        }

        private String string(String field) {
            long at = pos;
            long len = u64(field + " length");
            if (len < 0 || len > size - pos) {
                throw fail(field, at, "string length " + Long.toUnsignedString(len) + " runs past the end of the file (" + (size - pos) + " bytes left)");
            }
            if (len > Integer.MAX_VALUE - 8) {
                throw fail(field, at, "string of " + len + " bytes is too long");
            }
            byte[] b = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            return new String(b, StandardCharsets.UTF_8);
        }

        private int u32(String field) {
            need(4, field);
            int v = seg.get(U32, pos);
            pos += 4;
            return v;
        }

        private long u64(String field) {
            need(8, field);
            long v = seg.get(U64, pos);
            pos += 8;
            return v;
        }

        private void need(long n, String field) {
            if (n > size - pos) {
                throw fail(field, pos, "file is truncated: needs " + n + " bytes, " + (size - pos) + " left");
            }
        }

        private void checkCount(long count, long minBytesEach, String field, long at) {
            if (count < 0 || (minBytesEach > 0 && count > (size - pos) / minBytesEach)) {
                throw fail(field, at, "count " + Long.toUnsignedString(count) + " cannot fit in the " + (size - pos) + " bytes left");
            }
        }

        private ModelFormatException fail(String field, long at, String problem) {
            return new ModelFormatException(name, field, at, problem);
        }
    }

    static long alignUp(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }
}
