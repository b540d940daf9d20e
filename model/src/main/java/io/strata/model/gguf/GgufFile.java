package io.strata.model.gguf;

import io.strata.model.MappedFile;
import io.strata.model.ModelFormatException;
import io.strata.model.ModelSource;
import io.strata.model.tensor.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A GGUF file (versions 2 and 3) mapped into memory. The header is parsed once; tensor data stays in the mapping
 * and is handed out as {@link MemorySegment} slices, never copied onto the heap.
 *
 * <p>Every count, length, offset and dimension is checked against the bytes that remain before it is used, so a
 * hostile file fails with a {@link ModelFormatException} (file, field, byte offset) rather than an
 * OutOfMemoryError or a huge allocation.
 */
public final class GgufFile implements ModelSource {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    public static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;
    static final int MAX_NAME_BYTES = 64;
    /** Arrays nested deeper than this are refused: no real file nests at all, and recursion must stay bounded. */
    static final int MAX_ARRAY_NESTING = 8;
    /** Largest general.alignment accepted; real files use 32 (at most a page), and the padding must stay an int. */
    static final int MAX_ALIGNMENT = 1 << 30;
    /** Longest Java array the reader allocates (the JVM's practical limit). */
    static final long MAX_JAVA_ARRAY = Integer.MAX_VALUE - 8;
    /**
     * Most heap the parsed header (metadata and tensor infos) may take, estimated as it is read. The largest real
     * headers (256k-token vocabularies with merges, thousands of tensors) need a few tens of MiB.
     */
    static final long MAX_HEADER_HEAP_BYTES = 256L << 20;

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

    /**
     * Maps and parses the file. The caller closes it; tensor segments are invalid afterwards.
     * A missing file, a directory or an unreadable file is reported as a {@link ModelFormatException} naming the path.
     */
    public static GgufFile open(Path path) {
        return MappedFile.open(path, "a GGUF file (give the path of the .gguf file itself)", GgufFile::parse);
    }

    /**
     * Maps and parses a GGUF that is one region of a larger file: {@code length} bytes at {@code offset} (a model
     * stored uncompressed inside a packaged jar). Tensor data stays in that mapping; {@code name} names the region in
     * errors (for example {@code app.jar!/strata/model.gguf}).
     */
    public static GgufFile open(Path path, long offset, long length, String name) {
        return MappedFile.map(path, offset, length, name, GgufFile::parse);
    }

    /** Parses a GGUF image already in memory (tests, fuzzing). {@code arena} may be null; it is closed with the file. */
    public static GgufFile parse(String name, MemorySegment bytes, Arena arena) {
        return parse(name, bytes, arena, MAX_HEADER_HEAP_BYTES);
    }

    /** As {@link #parse(String, MemorySegment, Arena)} with another heap budget for the header (tests of the budget). */
    static GgufFile parse(String name, MemorySegment bytes, Arena arena, long maxHeaderHeapBytes) {
        return new Parser(name, bytes, maxHeaderHeapBytes).parse(arena);
    }

    @Override
    public String name() { return name; }

    public int version() { return version; }

    @Override
    public GgufMetadata metadata() { return metadata; }

    /** Tensor infos in file order. */
    @Override
    public Map<String, GgufTensorInfo> tensors() { return tensors; }

    @Override
    public GgufTensorInfo tensor(String tensorName) { return tensors.get(tensorName); }

    public int alignment() { return alignment; }

    public long dataStart() { return dataStart; }

    @Override
    public long fileSize() { return file.byteSize(); }

    /** The tensor's bytes, a slice of the mapping (bounds were checked at parse time). */
    @Override
    public MemorySegment data(GgufTensorInfo t) {
        return file.asSlice(dataStart + t.offset(), t.byteSize());
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    /**
     * Names a field for an error message. Kept as a chain and rendered only when a message is needed: a string
     * array can have millions of elements, and building "key[i]" for each one would cost more than parsing.
     */
    private record Field(Field parent, String label, long index) {
        static Field named(String label) { return new Field(null, label, -1); }

        /** "parent label", e.g. "metadata 'x' element count". */
        Field then(String label) { return new Field(this, label, -1); }

        /** "parent[i]". */
        Field element(long i) { return new Field(this, null, i); }

        @Override
        public String toString() {
            if (parent == null) {
                return label;
            }
            return label != null ? parent + " " + label : parent + "[" + index + "]";
        }
    }

    /**
     * Reads the header with a bounds-checked cursor. Besides the byte bounds, it keeps a budget of heap bytes the
     * parsed header may cost: every count is bounded by the bytes left, but an 8-byte empty string or a 12-byte
     * empty array still costs a few dozen heap bytes, so without a budget a large hostile file could ask for many
     * times its own size in objects.
     */
    private static final class Parser {
        private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        // Rough heap costs (64-bit JVM, compressed oops, padding rounded up), charged before allocating.
        /** String object + its byte[] header + the reference to it. Contents: up to 2 bytes per UTF-8 byte (UTF-16). */
        private static final long STRING_COST = 56;
        /** GgufArray record + primitive array header + the reference to it. */
        private static final long ARRAY_COST = 56;
        /** One metadata entry or tensor info beyond its strings: value or info record, boxes, map entries (twice). */
        private static final long ENTRY_COST = 256;

        private final String name;
        private final MemorySegment seg;
        private final long size;
        private long heapLeft;
        private final long heapLimit;
        private long pos;

        Parser(String name, MemorySegment seg, long heapLimit) {
            this.name = name;
            this.seg = seg;
            this.size = seg.byteSize();
            this.heapLimit = heapLimit;
            this.heapLeft = heapLimit;
        }

        GgufFile parse(Arena arena) {
            checkMagic();
            pos = 4;
            long versionAt = pos;
            int version = u32(Field.named("version"));
            if (version == 1) {
                throw fail("version", versionAt, "GGUF version 1 is obsolete and not supported (re-convert the model)");
            }
            if (version != 2 && version != 3) {
                throw fail("version", versionAt, "unsupported GGUF version " + Integer.toUnsignedString(version)
                        + " (supported: 2, 3; a byte-swapped big-endian file also shows up like this)");
            }
            long tensorCountAt = pos;
            long tensorCount = u64(Field.named("tensor_count"));
            long kvCountAt = pos;
            long kvCount = u64(Field.named("kv_count"));
            // The least bytes one entry can take: a metadata entry is key length 8 + type 4 + a 1-byte value; a tensor
            // info is name length 8 + n_dims 4 + type 4 + offset 8 (n_dims may be 0).
            checkCount(kvCount, 13, Field.named("kv_count"), kvCountAt);
            checkCount(tensorCount, 24, Field.named("tensor_count"), tensorCountAt);

            Map<String, GgufValue> values = new LinkedHashMap<>();
            Map<String, Long> offsets = new HashMap<>();
            for (long i = 0; i < kvCount; i++) {
                long keyAt = pos;
                Field keyField = Field.named("metadata key #" + i);
                charge(ENTRY_COST, keyField, keyAt);
                String key = string(keyField, Long.MAX_VALUE);
                Field field = Field.named("metadata '" + shown(key) + "'");
                if (values.containsKey(key)) {
                    throw fail(field, keyAt, "duplicate key");
                }
                GgufValueType type = valueType(field.then("type"));
                offsets.put(key, pos);
                values.put(key, new GgufValue(type, value(type, field)));
            }
            GgufMetadata metadata = new GgufMetadata(name, values, offsets);
            int alignment = alignment(values.get(GgufMetadata.ALIGNMENT_KEY), offsets.get(GgufMetadata.ALIGNMENT_KEY));

            record Pending(String name, long[] shape, GgmlType type, long offset, long size, long at) {}
            List<Pending> pending = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (long i = 0; i < tensorCount; i++) {
                long at = pos;
                charge(ENTRY_COST, Field.named("tensor #" + i), at);
                String tname = string(Field.named("tensor #" + i + " name"), MAX_NAME_BYTES - 1);
                Field f = Field.named("tensor '" + shown(tname) + "'");
                if (!seen.add(tname)) {
                    throw fail(f, at, "duplicate tensor name");
                }
                long dimsAt = pos;
                int nDims = u32(f.then("n_dims"));
                if (nDims < 0 || nDims > MAX_DIMS) {
                    throw fail(f.then("n_dims"), dimsAt, "must be 0.." + MAX_DIMS + ", found " + Integer.toUnsignedString(nDims));
                }
                // n_dims 0 is a scalar to ggml (every ne defaults to 1); shape [1] keeps shape[0] valid for callers.
                long[] shape = nDims == 0 ? new long[]{1} : new long[nDims];
                long elements = 1;
                for (int d = 0; d < nDims; d++) {
                    long dimAt = pos;
                    Field dim = f.then("ne[" + d + "]");
                    shape[d] = u64(dim);
                    // Signed: ggml reads int64, so an unsigned value >= 2^63 is no real dimension. 0 is allowed (an
                    // empty tensor owns no bytes). No type packs more than 8 elements in a byte, so a larger dimension
                    // is corrupt even when another dimension is 0 and the tensor needs no bytes at all; bounding it
                    // keeps such values away from callers' int arithmetic.
                    if (shape[d] < 0) {
                        throw fail(dim, dimAt, "dimension " + Long.toUnsignedString(shape[d]) + " is negative as int64");
                    }
                    if (shape[d] / 8 > size) {
                        throw fail(dim, dimAt, "dimension " + shape[d] + " is impossible for a file of " + size + " bytes");
                    }
                    try {
                        elements = Math.multiplyExact(elements, shape[d]);
                    } catch (ArithmeticException e) {
                        throw fail(f.then("shape"), dimAt, "element count overflows 64 bits");
                    }
                }
                long typeAt = pos;
                int typeId = u32(f.then("type"));
                GgmlType type = GgmlType.byId(typeId);
                if (type == null) {
                    throw fail(f.then("type"), typeAt, "unknown ggml type id " + Integer.toUnsignedString(typeId));
                }
                if (shape[0] % type.blockSize() != 0) {
                    throw fail(f.then(nDims == 0 ? "n_dims" : "ne[0]"), nDims == 0 ? dimsAt : dimsAt + 4, "row length "
                            + shape[0] + " is not a multiple of the " + type + " block size " + type.blockSize());
                }
                long offAt = pos;
                long offset = u64(f.then("offset"));
                if (offset < 0 || offset % alignment != 0) {
                    throw fail(f.then("offset"), offAt, "offset " + Long.toUnsignedString(offset)
                            + " is not a multiple of the alignment " + alignment);
                }
                // elements is a multiple of the block size, so this is exact; it can only overflow for absurd shapes.
                long bytes;
                try {
                    bytes = type.byteSize(elements);
                } catch (ArithmeticException e) {
                    throw fail(f.then("shape"), dimsAt, "byte size overflows 64 bits");
                }
                pending.add(new Pending(tname, shape, type, offset, bytes, offAt));
            }
            long dataStart = alignUp(pos, alignment);
            if (tensorCount > 0 && dataStart > size) {
                throw fail("data section", pos, "file ends before the tensor data (needs padding to " + dataStart
                        + ", file has " + size + " bytes)");
            }
            // Every tensor must lie inside the data section. Overlaps and gaps are tolerated (llama.cpp insists on
            // offsets being the running sum of padded sizes, the spec only on alignment): the mapping is read-only,
            // so sharing bytes is harmless, and staying in bounds is what matters for safety.
            long dataSize = size - Math.min(dataStart, size);
            Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
            for (Pending p : pending) {
                if (p.offset > dataSize || p.size > dataSize - p.offset) {
                    throw fail("tensor '" + shown(p.name) + "' data", p.at, "bytes [" + (dataStart + p.offset) + ", +"
                            + p.size + ") lie beyond the end of the file (" + size + " bytes): truncated or corrupt");
                }
                tensors.put(p.name, new GgufTensorInfo(p.name, p.shape, p.type, p.offset, p.size));
            }
            return new GgufFile(name, arena, seg, version, metadata, Collections.unmodifiableMap(tensors), dataStart, alignment);
        }

        private void checkMagic() {
            int magic = size >= 4 ? seg.get(U32, 0) : 0;
            if (size < 4 || magic != MAGIC) {
                byte[] head = seg.asSlice(0, Math.min(size, 8)).toArray(ValueLayout.JAVA_BYTE);
                throw fail("magic", 0, "not a GGUF file (" + (size < 4 ? "only " + size + " bytes" : "starts with " + describe(head))
                        + ", expected 'GGUF')");
            }
        }

        /** general.alignment: an integer power of two (llama.cpp: UINT32), else the default 32. */
        private int alignment(GgufValue value, Long at) {
            if (value == null) {
                return DEFAULT_ALIGNMENT;
            }
            Long al = value.asLong();
            if (!isValidAlignment(al)) {
                String found = al == null ? value.type().toString() : value.type() + " " + Long.toUnsignedString(al);
                throw fail(Field.named("metadata '" + GgufMetadata.ALIGNMENT_KEY + "'"), at,
                        "must be a power of two from 1 to " + MAX_ALIGNMENT + ", found " + found);
            }
            return al.intValue();
        }

        private Object value(GgufValueType type, Field field) {
            return switch (type) {
                case UINT8, INT8 -> { need(1, field); yield seg.get(ValueLayout.JAVA_BYTE, pos++); }
                case BOOL -> {
                    need(1, field);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos);
                    if (b != 0 && b != 1) {
                        throw fail(field, pos, "bool must be 0 or 1, found " + Byte.toUnsignedInt(b));
                    }
                    pos++;
                    yield b == 1;
                }
                case UINT16, INT16 -> { need(2, field); short s = seg.get(U16, pos); pos += 2; yield s; }
                case UINT32, INT32 -> u32(field);
                case FLOAT32 -> { need(4, field); float f = seg.get(F32, pos); pos += 4; yield f; }
                case UINT64, INT64 -> u64(field);
                case FLOAT64 -> { need(8, field); double d = seg.get(F64, pos); pos += 8; yield d; }
                case STRING -> string(field, Long.MAX_VALUE);
                case ARRAY -> array(field, 0);
            };
        }

        private GgufArray array(Field field, int depth) {
            if (depth >= MAX_ARRAY_NESTING) {
                throw fail(field, pos, "arrays nested more than " + MAX_ARRAY_NESTING + " deep");
            }
            GgufValueType et = valueType(field.then("element type"));
            long countAt = pos;
            Field countField = field.then("element count");
            long count = u64(countField);
            checkCount(count, et.minBytes(), countField, countAt);
            if (count > MAX_JAVA_ARRAY) {
                throw fail(countField, countAt, "array of " + count + " elements is too large");
            }
            int n = (int) count;
            long start = pos;
            switch (et) {
                case UINT8, INT8, BOOL -> {
                    charge(ARRAY_COST + n, countField, countAt);
                    byte[] b = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
                    if (et == GgufValueType.BOOL) {
                        for (int i = 0; i < n; i++) {
                            if (b[i] != 0 && b[i] != 1) {
                                throw fail(field.element(i), start + i, "bool must be 0 or 1, found " + Byte.toUnsignedInt(b[i]));
                            }
                        }
                    }
                    pos += n;
                    return new GgufArray(et, b);
                }
                case UINT16, INT16 -> {
                    charge(ARRAY_COST + 2L * n, countField, countAt);
                    short[] v = seg.asSlice(pos, 2L * n).toArray(U16);
                    pos += 2L * n;
                    return new GgufArray(et, v);
                }
                case UINT32, INT32 -> {
                    charge(ARRAY_COST + 4L * n, countField, countAt);
                    int[] v = seg.asSlice(pos, 4L * n).toArray(U32);
                    pos += 4L * n;
                    return new GgufArray(et, v);
                }
                case FLOAT32 -> {
                    charge(ARRAY_COST + 4L * n, countField, countAt);
                    float[] v = seg.asSlice(pos, 4L * n).toArray(F32);
                    pos += 4L * n;
                    return new GgufArray(et, v);
                }
                case UINT64, INT64 -> {
                    charge(ARRAY_COST + 8L * n, countField, countAt);
                    long[] v = seg.asSlice(pos, 8L * n).toArray(U64);
                    pos += 8L * n;
                    return new GgufArray(et, v);
                }
                case FLOAT64 -> {
                    charge(ARRAY_COST + 8L * n, countField, countAt);
                    double[] v = seg.asSlice(pos, 8L * n).toArray(F64);
                    pos += 8L * n;
                    return new GgufArray(et, v);
                }
                case STRING -> {
                    charge(ARRAY_COST + 8L * n, countField, countAt);
                    String[] s = new String[n];
                    for (int i = 0; i < n; i++) {
                        s[i] = string(field.element(i), Long.MAX_VALUE);
                    }
                    return new GgufArray(et, s);
                }
                case ARRAY -> {
                    charge(ARRAY_COST + 8L * n, countField, countAt);
                    GgufArray[] nested = new GgufArray[n];
                    for (int i = 0; i < n; i++) {
                        nested[i] = array(field.element(i), depth + 1);
                    }
                    return new GgufArray(et, nested);
                }
            }
            throw new AssertionError(et);
        }

        private GgufValueType valueType(Field field) {
            long at = pos;
            int id = u32(field);
            GgufValueType t = GgufValueType.byId(id);
            if (t == null) {
                throw fail(field, at, "unknown metadata value type " + Integer.toUnsignedString(id));
            }
            return t;
        }

        /** A gguf string (uint64 length + UTF-8 bytes) of at most {@code maxBytes} bytes. */
        private String string(Field field, long maxBytes) {
            long at = pos;
            long len = u64(field.then("length"));
            if (len < 0 || len > size - pos) {
                throw fail(field, at, "string length " + Long.toUnsignedString(len) + " runs past the end of the file ("
                        + (size - pos) + " bytes left)");
            }
            if (len > maxBytes) {
                throw fail(field, at, "string of " + len + " bytes is longer than the " + maxBytes + " allowed");
            }
            if (len > MAX_JAVA_ARRAY) {
                throw fail(field, at, "string of " + len + " bytes is too long");
            }
            charge(STRING_COST + 2 * len, field, at);
            byte[] b = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            // Invalid UTF-8 becomes U+FFFD rather than an error: llama.cpp does not validate either, and vocabularies
            // of byte-level tokenizers are the ones most likely to carry odd bytes.
            return new String(b, StandardCharsets.UTF_8);
        }

        private int u32(Field field) {
            need(4, field);
            int v = seg.get(U32, pos);
            pos += 4;
            return v;
        }

        private long u64(Field field) {
            need(8, field);
            long v = seg.get(U64, pos);
            pos += 8;
            return v;
        }

        private void need(long n, Field field) {
            if (n > size - pos) {
                throw fail(field, pos, "file is truncated: needs " + n + " bytes, " + (size - pos) + " left");
            }
        }

        /** A count read as uint64 (negative here when >= 2^63) must fit the bytes left at minBytesEach per item. */
        private void checkCount(long count, long minBytesEach, Field field, long at) {
            if (count < 0 || count > (size - pos) / minBytesEach) {
                throw fail(field, at, "count " + Long.toUnsignedString(count) + " cannot fit in the " + (size - pos) + " bytes left");
            }
        }

        private void charge(long heapBytes, Field field, long at) {
            heapLeft -= heapBytes;
            if (heapLeft < 0) {
                throw fail(field, at, "the header would need more than " + (heapLimit >> 20)
                        + " MiB of heap for metadata and tensor infos (real models need a few MiB): corrupt or hostile");
            }
        }

        private ModelFormatException fail(Field field, long at, String problem) {
            return new ModelFormatException(name, field.toString(), at, problem);
        }

        private ModelFormatException fail(String field, long at, String problem) {
            return new ModelFormatException(name, field, at, problem);
        }
    }

    /**
     * A key or tensor name as shown in a message: at most 64 characters, control characters escaped, because a
     * hostile key can be megabytes long and contain anything.
     */
    static String shown(String s) {
        StringBuilder sb = new StringBuilder();
        int limit = Math.min(s.length(), 64);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (s.length() > limit) {
            sb.append("...(").append(s.length()).append(" chars)");
        }
        return sb.toString();
    }

    /** The first bytes of a file as hex and, where printable, as text, to tell the user what the file is instead. */
    private static String describe(byte[] head) {
        StringBuilder hex = new StringBuilder();
        StringBuilder text = new StringBuilder();
        boolean printable = true;
        for (byte b : head) {
            hex.append(String.format("%02x ", b));
            printable &= b >= 0x20 && b < 0x7f || b == '\n' || b == '\r' || b == '\t';
            text.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
        }
        String s = hex.toString().trim();
        return printable ? s + " \"" + text + "\", text" : s;
    }

    /** general.alignment must be an integer power of two from 1 to {@link #MAX_ALIGNMENT} (null: not an integer). */
    static boolean isValidAlignment(Long alignment) {
        return alignment != null && alignment > 0 && alignment <= MAX_ALIGNMENT && Long.bitCount(alignment) == 1;
    }

    static long alignUp(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }
}
