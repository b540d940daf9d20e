package io.strata.model.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.strata.model.MappedFile;
import io.strata.model.ModelFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file mapped into memory: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}}),
 * then the data section. Tensor bytes stay in the mapping and are handed out as slices.
 *
 * <p>Checked as the reference implementation checks (huggingface/safetensors {@code Metadata::validate}): the header
 * fits the file and at most {@link #MAX_HEADER_BYTES}; it is one JSON object; every dtype is known; every tensor's
 * byte range equals its element count times the dtype size; the ranges, sorted, tile the data section exactly
 * (no gap, no overlap, nothing left over). The header is parsed as a stream with a heap budget, so a hostile file
 * gets a {@link ModelFormatException} naming the file, the field and the byte offset, never an OutOfMemoryError.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference implementation's limit (safetensors {@code MAX_HEADER_SIZE}). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    static final int MAX_DIMS = 8;
    /** Heap the parsed header may take (names, shapes, records), estimated while reading. */
    static final long MAX_HEADER_HEAP_BYTES = 256L << 20;
    private static final long ENTRY_COST = 200;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxNumberLength(40)
                    .maxStringLength(1 << 20).build())
            .build();

    private final String name;
    private final Arena arena;
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, SafetensorsTensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(final String name, final Arena arena, final MemorySegment file, final long dataStart,
                            final Map<String, SafetensorsTensor> tensors, final Map<String, String> metadata) {
        this.name = name;
        this.arena = arena;
        this.file = file;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps and parses the file; the caller closes it, after which tensor slices are invalid. */
    public static SafetensorsFile open(final Path path) {
        return MappedFile.open(path, "a safetensors file", SafetensorsFile::parse);
    }

    /** Parses an image already in memory (tests); {@code arena} may be null and is closed with the file. */
    public static SafetensorsFile parse(final String name, final MemorySegment bytes, final Arena arena) {
        return new Parser(name, bytes, MAX_HEADER_HEAP_BYTES).parse(arena);
    }

    public String name() {
        return name;
    }

    /** Tensors in header order (the reference writer sorts them by dtype alignment, then name). */
    public Map<String, SafetensorsTensor> tensors() {
        return tensors;
    }

    public SafetensorsTensor tensor(final String tensorName) {
        return tensors.get(tensorName);
    }

    /** The {@code __metadata__} strings (e.g. {@code format: pt}); empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    public long fileSize() {
        return file.byteSize();
    }

    /** Where the data section starts: 8 + the header length. */
    public long dataStart() {
        return dataStart;
    }

    /** The tensor's bytes, a slice of the mapping (bounds were checked when the header was read). */
    public MemorySegment data(final SafetensorsTensor t) {
        return file.asSlice(dataStart + t.begin(), t.byteSize());
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    /** Reads the header JSON as a stream of tokens straight from the mapping. */
    static final class Parser {
        private final String name;
        private final MemorySegment seg;
        private final long size;
        private final long heapLimit;
        private long heapLeft;
        private long headerLength;

        Parser(final String name, final MemorySegment seg, final long heapLimit) {
            this.name = name;
            this.seg = seg;
            this.size = seg.byteSize();
            this.heapLimit = heapLimit;
            this.heapLeft = heapLimit;
        }

        SafetensorsFile parse(final Arena arena) {
            if (size < 8) {
                throw fail("header length", 0, "file of " + size + " bytes is too short for the 8-byte header length");
            }
            headerLength = seg.get(U64, 0);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw fail("header length", 0, "header of " + Long.toUnsignedString(headerLength)
                        + " bytes exceeds the format's limit of " + MAX_HEADER_BYTES + " bytes: not a safetensors file or corrupt");
            }
            if (headerLength > size - 8) {
                throw fail("header length", 0, "header of " + headerLength + " bytes runs past the end of the file ("
                        + size + " bytes): truncated or not a safetensors file");
            }
            if (headerLength < 2 || seg.get(ValueLayout.JAVA_BYTE, 8) != '{') {
                throw fail("header", 8, "the JSON header must start with '{'");
            }
            final long dataStart = 8 + headerLength;
            final long dataSize = size - dataStart;
            final Map<String, SafetensorsTensor> tensors = new LinkedHashMap<>();
            final Map<String, String> metadata = new LinkedHashMap<>();
            try (JsonParser p = JSON.createParser(new SegmentInput(seg.asSlice(8, headerLength)))) {
                expect(p, JsonToken.START_OBJECT, "header");
                JsonToken t;
                while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                    final String key = p.currentName();
                    charge(ENTRY_COST + 2L * key.length(), key, p);
                    if (tensors.containsKey(key) || "__metadata__".equals(key) && !metadata.isEmpty()) {
                        throw fail("tensor '" + shown(key) + "'", at(p), "appears twice in the header");
                    }
                    if ("__metadata__".equals(key)) {
                        readMetadata(p, metadata);
                    } else {
                        tensors.put(key, readTensor(p, key, dataSize));
                    }
                }
                if (t != JsonToken.END_OBJECT) {
                    throw fail("header", at(p), "expected a tensor name or the end of the header object");
                }
                final JsonToken trailing = p.nextToken();
                if (trailing != null) {
                    throw fail("header", at(p), "text after the header object");
                }
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                final long at = e.getLocation() == null ? ModelFormatException.NO_OFFSET : 8 + e.getLocation().getByteOffset();
                throw fail("header", at, "invalid JSON: " + e.getOriginalMessage());
            } catch (IOException e) {
                throw fail("header", 8, "cannot read: " + e.getMessage());
            }
            checkTiling(tensors, dataSize);
            return new SafetensorsFile(name, arena, seg, dataStart, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
        }

        private void readMetadata(final JsonParser p, final Map<String, String> metadata) throws IOException {
            expect(p, JsonToken.START_OBJECT, "__metadata__");
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                final String k = p.currentName();
                if (p.nextToken() != JsonToken.VALUE_STRING) {
                    throw fail("__metadata__ '" + shown(k) + "'", at(p), "values must be strings");
                }
                final String v = p.getText();
                charge(ENTRY_COST + 2L * (k.length() + v.length()), k, p);
                metadata.put(k, v);
            }
            if (t != JsonToken.END_OBJECT) {
                throw fail("__metadata__", at(p), "must be an object of strings");
            }
        }

        private SafetensorsTensor readTensor(final JsonParser p, final String tensor, final long dataSize) throws IOException {
            final String field = "tensor '" + shown(tensor) + "'";
            final long start = at(p);
            expect(p, JsonToken.START_OBJECT, field);
            SafetensorsDtype dtype = null;
            long[] shape = null;
            long[] offsets = null;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                final String k = p.currentName();
                switch (k) {
                    case "dtype" -> {
                        if (p.nextToken() != JsonToken.VALUE_STRING) {
                            throw fail(field + " dtype", at(p), "must be a string");
                        }
                        final String d = p.getText();
                        dtype = SafetensorsDtype.byName(d).orElseThrow(() -> fail(field + " dtype", at(p),
                                "unknown dtype '" + shown(d) + "'"));
                    }
                    case "shape" -> shape = longs(p, field + " shape", MAX_DIMS);
                    case "data_offsets" -> offsets = longs(p, field + " data_offsets", 2);
                    default -> throw fail(field, at(p), "unknown field '" + shown(k) + "' (expected dtype, shape, data_offsets)");
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw fail(field, at(p), "expected a field name");
            }
            if (dtype == null || shape == null || offsets == null) {
                throw fail(field, start, "needs dtype, shape and data_offsets");
            }
            if (offsets.length != 2) {
                throw fail(field + " data_offsets", start, "must be [begin, end]");
            }
            final long begin = offsets[0];
            final long end = offsets[1];
            if (begin > end || end > dataSize) {
                throw fail(field + " data_offsets", start, "bytes [" + begin + ", " + end + ") do not lie within the "
                        + dataSize + "-byte data section: truncated or corrupt");
            }
            long elements = 1;
            for (long d : shape) {
                // every dimension is bounded by the data size, so the product of two fits; check each step anyway
                if (d > dataSize && elements != 0) {
                    throw fail(field + " shape", start, "dimension " + d + " is impossible for " + dataSize + " bytes of data");
                }
                try {
                    elements = Math.multiplyExact(elements, d);
                } catch (ArithmeticException e) {
                    throw fail(field + " shape", start, "element count overflows 64 bits");
                }
            }
            final long bytes;
            try {
                bytes = Math.multiplyExact(elements, dtype.bytes());
            } catch (ArithmeticException e) {
                throw fail(field + " shape", start, "byte size overflows 64 bits");
            }
            if (bytes != end - begin) {
                throw fail(field + " data_offsets", start, "holds " + (end - begin) + " bytes, but " + dtype + " "
                        + java.util.Arrays.toString(shape) + " needs " + bytes);
            }
            return new SafetensorsTensor(tensor, dtype, shape, begin, end);
        }

        /** A JSON array of at most {@code max} non-negative integers. */
        private long[] longs(final JsonParser p, final String field, final int max) throws IOException {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw fail(field, at(p), "must be an array of integers");
            }
            final List<Long> out = new ArrayList<>();
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw fail(field, at(p), "must hold integers below 2^63");
                }
                final long v = p.getLongValue();
                if (v < 0) {
                    throw fail(field, at(p), "negative value " + v);
                }
                if (out.size() == max) {
                    throw fail(field, at(p), "more than " + max + " entries");
                }
                out.add(v);
            }
            charge(16L + 8L * out.size(), field, p);
            return out.stream().mapToLong(Long::longValue).toArray();
        }

        /** Sorted by offsets, the tensors must cover the data section exactly, as the reference implementation demands. */
        private void checkTiling(final Map<String, SafetensorsTensor> tensors, final long dataSize) {
            final List<SafetensorsTensor> sorted = new ArrayList<>(tensors.values());
            sorted.sort(Comparator.comparingLong(SafetensorsTensor::begin).thenComparingLong(SafetensorsTensor::end));
            long expected = 0;
            for (SafetensorsTensor t : sorted) {
                if (t.begin() != expected) {
                    throw fail("tensor '" + shown(t.name()) + "' data_offsets", 8, t.begin() < expected
                            ? "bytes [" + t.begin() + ", " + t.end() + ") overlap the previous tensor (ending at " + expected + ")"
                            : "bytes [" + expected + ", " + t.begin() + ") before it belong to no tensor");
                }
                expected = t.end();
            }
            if (expected != dataSize) {
                throw fail("data section", 8 + headerLength + expected, (dataSize - expected)
                        + " bytes after the last tensor belong to no tensor (the header does not describe the file)");
            }
        }

        private void expect(final JsonParser p, final JsonToken want, final String field) throws IOException {
            if (p.nextToken() != want) {
                throw fail(field, at(p), "must be a JSON " + (want == JsonToken.START_OBJECT ? "object" : want.asString()));
            }
        }

        private void charge(final long bytes, final String field, final JsonParser p) {
            heapLeft -= bytes;
            if (heapLeft < 0) {
                throw fail(shown(field), at(p), "the header would need more than " + (heapLimit >> 20)
                        + " MiB of heap (real checkpoints need a few MiB): corrupt or hostile");
            }
        }

        private long at(final JsonParser p) {
            return 8 + p.currentTokenLocation().getByteOffset();
        }

        private ModelFormatException fail(final String field, final long at, final String problem) {
            return new ModelFormatException(name, field, at, problem);
        }
    }

    /** A tensor name as shown in a message: at most 64 characters, control characters escaped. */
    static String shown(final String s) {
        final StringBuilder sb = new StringBuilder();
        final int limit = Math.min(s.length(), 64);
        for (int i = 0; i < limit; i++) {
            final char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        if (s.length() > limit) {
            sb.append("...(").append(s.length()).append(" chars)");
        }
        return sb.toString();
    }

    /** The header bytes as an InputStream, read straight from the mapping (no copy of the whole header). */
    private static final class SegmentInput extends InputStream {
        private final MemorySegment seg;
        private long pos;

        SegmentInput(final MemorySegment seg) {
            this.seg = seg;
        }

        @Override
        public int read() {
            return pos < seg.byteSize() ? seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF : -1;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) {
            final long left = seg.byteSize() - pos;
            if (left <= 0) {
                return -1;
            }
            final int n = (int) Math.min(len, left);
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
