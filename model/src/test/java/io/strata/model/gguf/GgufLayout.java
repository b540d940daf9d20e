package io.strata.model.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Where each field of a well-formed GGUF file lies, found by a walk independent of {@link GgufFile}'s parser.
 * The fuzz test aims its mutations with it (truncate at every field boundary, overwrite every count with extreme
 * values, remove or duplicate whole entries), and format tests use it to corrupt one named field.
 *
 * <p>Labels read like the reader's field names: {@code version}, {@code tensor_count}, {@code metadata 'k' key length},
 * {@code metadata 'k' type}, {@code metadata 'k' value}, {@code metadata 'k' element count},
 * {@code metadata 'k'[3] length}, {@code tensor 'w' name bytes}, {@code tensor 'w' ne[1]}, {@code tensor 'w' offset}.
 * Of a long string or nested array only the first {@value #ELEMENTS_KEPT} elements and the last one are recorded, so
 * the number of fields stays proportional to the number of entries rather than to the vocabulary size.
 */
final class GgufLayout {
    static final int ELEMENTS_KEPT = 3;

    /** What a field holds, which decides the mutations worth trying on it. */
    enum Kind {
        /** A 4-byte little-endian integer: version, value types, n_dims, tensor types, UINT32/INT32 values. */
        U32,
        /** An 8-byte little-endian integer: counts, string lengths, dimensions, offsets, 64-bit values. */
        U64,
        /** Raw bytes: the magic, string contents, small scalars, whole primitive-array bodies, padding. */
        BYTES
    }

    record Field(long offset, int width, Kind kind, String label) {
        long end() { return offset + width; }
    }

    /** A whole metadata entry or tensor info, [start, end). */
    record Entry(long start, long end, String label) {}

    final List<Field> fields = new ArrayList<>();
    final List<Entry> entries = new ArrayList<>();
    /** Where the tensor infos end (before padding) and where the data section starts. */
    long headerEnd;
    long dataStart;
    /** Absolute [start, end) of each tensor's data, in file order. */
    final List<long[]> tensorData = new ArrayList<>();

    private final ByteBuffer buf;

    private GgufLayout(byte[] file) {
        buf = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    }

    static GgufLayout of(byte[] file) {
        GgufLayout l = new GgufLayout(file);
        l.walk();
        return l;
    }

    /** The field with exactly this label. */
    Field field(String label) {
        return fields.stream().filter(f -> f.label.equals(label)).findFirst()
                .orElseThrow(() -> new NoSuchElementException("no field " + label));
    }

    private void walk() {
        add(0, 4, Kind.BYTES, "magic");
        add(4, 4, Kind.U32, "version");
        add(8, 8, Kind.U64, "tensor_count");
        add(16, 8, Kind.U64, "kv_count");
        long tensorCount = buf.getLong(8);
        long kvCount = buf.getLong(16);
        int pos = 24;
        int alignment = GgufFile.DEFAULT_ALIGNMENT;
        for (long i = 0; i < kvCount; i++) {
            int start = pos;
            String key = peekString(pos);
            String f = "metadata '" + key + "'";
            pos = string(pos, f + " key");
            int type = buf.getInt(pos);
            add(pos, 4, Kind.U32, f + " type");
            pos += 4;
            if (key.equals(GgufMetadata.ALIGNMENT_KEY)) {
                alignment = buf.getInt(pos);
            }
            pos = value(pos, type, f, true);
            entries.add(new Entry(start, pos, f));
        }
        List<long[]> infos = new ArrayList<>(); // {offset, byte size}
        for (long i = 0; i < tensorCount; i++) {
            int start = pos;
            String name = peekString(pos);
            String f = "tensor '" + name + "'";
            pos = string(pos, f + " name");
            int nDims = buf.getInt(pos);
            add(pos, 4, Kind.U32, f + " n_dims");
            pos += 4;
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                elements *= buf.getLong(pos);
                add(pos, 8, Kind.U64, f + " ne[" + d + "]");
                pos += 8;
            }
            int typeId = buf.getInt(pos);
            add(pos, 4, Kind.U32, f + " type");
            pos += 4;
            long offset = buf.getLong(pos);
            add(pos, 8, Kind.U64, f + " offset");
            pos += 8;
            var type = io.strata.model.tensor.GgmlType.byId(typeId);
            infos.add(new long[]{offset, type.byteSize(elements)});
            entries.add(new Entry(start, pos, f));
        }
        headerEnd = pos;
        dataStart = GgufFile.alignUp(pos, alignment);
        // A file without tensors may end right after its header, without padding.
        long paddingEnd = Math.min(dataStart, buf.capacity());
        if (paddingEnd > headerEnd) {
            add(headerEnd, (int) (paddingEnd - headerEnd), Kind.BYTES, "padding");
        }
        for (long[] info : infos) {
            tensorData.add(new long[]{dataStart + info[0], dataStart + info[0] + info[1]});
        }
    }

    /** Records the value at pos and returns the position after it. */
    private int value(int pos, int type, String f, boolean record) {
        GgufValueType t = GgufValueType.byId(type);
        switch (t) {
            case UINT8, INT8, BOOL -> { if (record) add(pos, 1, Kind.BYTES, f + " value"); return pos + 1; }
            case UINT16, INT16 -> { if (record) add(pos, 2, Kind.BYTES, f + " value"); return pos + 2; }
            case UINT32, INT32, FLOAT32 -> { if (record) add(pos, 4, t == GgufValueType.FLOAT32 ? Kind.BYTES : Kind.U32, f + " value"); return pos + 4; }
            case UINT64, INT64, FLOAT64 -> { if (record) add(pos, 8, t == GgufValueType.FLOAT64 ? Kind.BYTES : Kind.U64, f + " value"); return pos + 8; }
            case STRING -> { return record ? string(pos, f) : pos + 8 + (int) buf.getLong(pos); }
            case ARRAY -> { return array(pos, f, record); }
        }
        throw new AssertionError(t);
    }

    private int array(int pos, String f, boolean record) {
        int elementType = buf.getInt(pos);
        long count = buf.getLong(pos + 4);
        if (record) {
            add(pos, 4, Kind.U32, f + " element type");
            add(pos + 4, 8, Kind.U64, f + " element count");
        }
        pos += 12;
        GgufValueType et = GgufValueType.byId(elementType);
        if (et != GgufValueType.STRING && et != GgufValueType.ARRAY) {
            int bytes = (int) (count * et.minBytes());
            if (record && bytes > 0) {
                add(pos, bytes, Kind.BYTES, f + " elements");
            }
            return pos + bytes;
        }
        for (long i = 0; i < count; i++) {
            boolean keep = record && (i < ELEMENTS_KEPT || i == count - 1);
            pos = value(pos, elementType, f + "[" + i + "]", keep);
        }
        return pos;
    }

    private int string(int pos, String label) {
        long len = buf.getLong(pos);
        add(pos, 8, Kind.U64, label + " length");
        if (len > 0) {
            add(pos + 8, (int) len, Kind.BYTES, label + " bytes");
        }
        return pos + 8 + (int) len;
    }

    private String peekString(int pos) {
        int len = (int) buf.getLong(pos);
        return new String(buf.array(), pos + 8, len, StandardCharsets.UTF_8);
    }

    private void add(long offset, int width, Kind kind, String label) {
        fields.add(new Field(offset, width, kind, label));
    }
}
