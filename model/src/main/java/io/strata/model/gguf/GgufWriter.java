package io.strata.model.gguf;

import io.strata.model.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file: metadata, tensor infos, then tensor data, each tensor aligned to {@code general.alignment}
 * (32 unless the metadata says otherwise). Tensor contents are produced by a callback that fills the tensor's slice
 * of the memory-mapped output, so a multi-gigabyte model never passes through the heap.
 */
public final class GgufWriter {

    /** Fills {@code dst} (exactly the tensor's byte size) with the tensor's data. */
    @FunctionalInterface
    public interface TensorData {
        void write(MemorySegment dst);
    }

    public record TensorSpec(String name, long[] shape, GgmlType type, TensorData data) {
        long byteSize() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return type.byteSize(n);
        }
    }

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<TensorSpec> tensors = new ArrayList<>();

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putString(String key, String v) { return put(key, GgufValue.of(v)); }

    public GgufWriter putUint32(String key, int v) { return put(key, GgufValue.uint32(v)); }

    public GgufWriter putFloat32(String key, float v) { return put(key, GgufValue.float32(v)); }

    public GgufWriter putBool(String key, boolean v) { return put(key, GgufValue.bool(v)); }

    public GgufWriter putArray(String key, GgufArray a) { return put(key, GgufValue.array(a)); }

    /**
     * Adds a tensor. What the reader (and llama.cpp) would refuse is refused here, so a written file always reads
     * back: names under 64 UTF-8 bytes and unique, 1 to 4 dimensions, none negative, rows a whole number of blocks.
     */
    public GgufWriter addTensor(String name, long[] shape, GgmlType type, TensorData data) {
        if (name.getBytes(StandardCharsets.UTF_8).length >= GgufFile.MAX_NAME_BYTES) {
            throw new IllegalArgumentException(name + ": tensor names must be under " + GgufFile.MAX_NAME_BYTES + " UTF-8 bytes");
        }
        if (tensors.stream().anyMatch(t -> t.name().equals(name))) {
            throw new IllegalArgumentException(name + ": duplicate tensor name");
        }
        if (shape.length < 1 || shape.length > GgufFile.MAX_DIMS) {
            throw new IllegalArgumentException(name + ": " + shape.length + " dimensions, must be 1.." + GgufFile.MAX_DIMS);
        }
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(name + ": negative dimension " + d);
            }
        }
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": row length " + shape[0] + " is not a multiple of " + type + " block size " + type.blockSize());
        }
        tensors.add(new TensorSpec(name, shape.clone(), type, data));
        return this;
    }

    /** Writes the file, replacing any existing one. */
    public void write(Path path) throws IOException {
        int alignment = alignment();
        ByteBuffer header = header(alignment);
        long headerSize = header.remaining();
        long dataStart = GgufFile.alignUp(headerSize, alignment);
        long total = dataStart;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            offsets[i] = total - dataStart;
            total += GgufFile.alignUp(tensors.get(i).byteSize(), alignment);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofShared()) {
            MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
            out.asSlice(0, headerSize).copyFrom(MemorySegment.ofBuffer(header));
            for (int i = 0; i < tensors.size(); i++) {
                TensorSpec t = tensors.get(i);
                t.data().write(out.asSlice(dataStart + offsets[i], t.byteSize()));
            }
            out.force();
        }
    }

    /** general.alignment if set (it must be an integer power of two the reader accepts), else the default 32. */
    private int alignment() {
        GgufValue a = metadata.get(GgufMetadata.ALIGNMENT_KEY);
        if (a == null) {
            return GgufFile.DEFAULT_ALIGNMENT;
        }
        Long al = a.asLong();
        if (!GgufFile.isValidAlignment(al)) {
            throw new IllegalArgumentException(GgufMetadata.ALIGNMENT_KEY + " must be an integer power of two up to "
                    + GgufFile.MAX_ALIGNMENT + ", not " + a.type() + " " + a);
        }
        return al.intValue();
    }

    private ByteBuffer header(int alignment) {
        Sink s = new Sink();
        s.u32(GgufFile.MAGIC);
        s.u32(3);
        s.u64(tensors.size());
        s.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            s.string(e.getKey());
            s.u32(e.getValue().type().id());
            s.value(e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (TensorSpec t : tensors) {
            s.string(t.name());
            s.u32(t.shape().length);
            for (long d : t.shape()) {
                s.u64(d);
            }
            s.u32(t.type().id());
            s.u64(offset);
            offset += GgufFile.alignUp(t.byteSize(), alignment);
        }
        return s.buffer();
    }

    /** A growable little-endian byte sink for the header. */
    private static final class Sink {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        void u8(byte v) { ensure(1); buf.put(v); }
        void u16(short v) { ensure(2); buf.putShort(v); }
        void u32(int v) { ensure(4); buf.putInt(v); }
        void u64(long v) { ensure(8); buf.putLong(v); }
        void f32(float v) { ensure(4); buf.putFloat(v); }
        void f64(double v) { ensure(8); buf.putDouble(v); }

        void string(String v) {
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            ensure(b.length);
            buf.put(b);
        }

        void value(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> u8((Byte) v);
                case BOOL -> u8((byte) (((Boolean) v) ? 1 : 0));
                case UINT16, INT16 -> u16((Short) v);
                case UINT32, INT32 -> u32((Integer) v);
                case FLOAT32 -> f32((Float) v);
                case UINT64, INT64 -> u64((Long) v);
                case FLOAT64 -> f64((Double) v);
                case STRING -> string((String) v);
                case ARRAY -> array((GgufArray) v, 0);
            }
        }

        void array(GgufArray a, int depth) {
            if (depth >= GgufFile.MAX_ARRAY_NESTING) {
                throw new IllegalArgumentException("arrays nested more than " + GgufFile.MAX_ARRAY_NESTING + " deep cannot be read back");
            }
            u32(a.elementType().id());
            u64(a.length());
            switch (a.values()) {
                case byte[] b -> { ensure(b.length); buf.put(b); }
                case short[] s -> { for (short x : s) u16(x); }
                case int[] s -> { for (int x : s) u32(x); }
                case long[] s -> { for (long x : s) u64(x); }
                case float[] s -> { for (float x : s) f32(x); }
                case double[] s -> { for (double x : s) f64(x); }
                case String[] s -> { for (String x : s) string(x); }
                case GgufArray[] s -> { for (GgufArray x : s) array(x, depth + 1); }
                default -> throw new IllegalArgumentException("unsupported array " + a.values());
            }
        }

        ByteBuffer buffer() {
            return buf.duplicate().flip();
        }
    }
}
