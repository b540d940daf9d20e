package io.strata.model.gguf;

import io.strata.model.ModelFormatException;
import io.strata.model.store.ModelLocator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutates and truncates real GGUF files and holds the reader to its promise: every image either parses, with all
 * metadata and every tensor's first and last byte readable, or fails with a {@link ModelFormatException} whose
 * message starts with the file name and names a field. An OutOfMemoryError, a StackOverflowError, an
 * IndexOutOfBoundsException or any other exception is a bug.
 *
 * <p>The cases are generated from a fixed seed (override with {@code -Dstrata.fuzz.seed=N}), and a failure prints
 * the file, the case number and the exact mutation, which is enough to rebuild the bad image by hand.
 * Most mutations aim at the header, where a bad byte changes how everything after it is read; the layout of each
 * original file ({@link GgufLayout}) says where every field lies.
 */
class GgufFuzzTest {
    private static final long SEED = Long.getLong("strata.fuzz.seed", 0x6667_5546L);
    private static final List<String> MODELS = List.of(
            "stories260K.gguf",           // F32 llama, small vocabulary
            "stories260K-Q4_0-mix.gguf",  // quantized blocks, mixed tensor types
            "ggml-vocab-llama-spm.gguf",  // vocabulary only: 32000-entry string, float and int arrays, no tensors
            "synth-k-Q4_K_M.gguf");       // K-quant super-blocks
    /** With -Dstrata.fuzz.verbose=true, one example message of each kind of rejection is printed. */
    private static final boolean VERBOSE = Boolean.getBoolean("strata.fuzz.verbose");
    private static final Map<String, String> EXAMPLES = new java.util.TreeMap<>();
    /** At most this many failures are described; one is enough to fail. */
    private static final int FAILURES_SHOWN = 20;

    /**
     * One way to damage a file; {@link #toString()} says exactly what it does. Copying a 1 MB file for each of
     * thousands of cases would dominate the run, so truncations are slices of the original and overwrites are made in
     * place on a scratch copy and undone afterwards; only splices build a new array.
     */
    private sealed interface Mutation {
        /** The damaged image; may be {@code scratch} changed in place (then {@link #undo} restores it). */
        MemorySegment apply(byte[] original, byte[] scratch);

        default void undo(byte[] original, byte[] scratch) {}
    }

    private record Truncate(int length, String why) implements Mutation {

        public MemorySegment apply(byte[] original, byte[] scratch) { return MemorySegment.ofArray(original).asSlice(0, length); }

        public String toString() { return "truncate to " + length + " bytes (" + why + ")"; }
    }

    private record Overwrite(int offset, byte[] bytes, String why) implements Mutation {
        public MemorySegment apply(byte[] original, byte[] scratch) {
            System.arraycopy(bytes, 0, scratch, offset, length(scratch));
            return MemorySegment.ofArray(scratch);
        }

        public void undo(byte[] original, byte[] scratch) {
            System.arraycopy(original, offset, scratch, offset, length(scratch));
        }

        private int length(byte[] file) { return Math.min(bytes.length, file.length - offset); }

        public String toString() { return "write " + HexFormat.ofDelimiter(" ").formatHex(bytes) + " at " + offset + " (" + why + ")"; }
    }

    /** Remove [start, end); with insertAt >= 0, insert a copy of it at insertAt instead. */
    private record Splice(int start, int end, int insertAt, String why) implements Mutation {
        public MemorySegment apply(byte[] original, byte[] scratch) {
            int len = end - start;
            if (insertAt < 0) {
                byte[] b = new byte[original.length - len];
                System.arraycopy(original, 0, b, 0, start);
                System.arraycopy(original, end, b, start, original.length - end);
                return MemorySegment.ofArray(b);
            }
            byte[] b = new byte[original.length + len];
            System.arraycopy(original, 0, b, 0, insertAt);
            System.arraycopy(original, start, b, insertAt, len);
            System.arraycopy(original, insertAt, b, insertAt + len, original.length - insertAt);
            return MemorySegment.ofArray(b);
        }

        public String toString() {
            return insertAt < 0 ? "remove [" + start + ", " + end + ") (" + why + ")"
                    : "copy [" + start + ", " + end + ") to " + insertAt + " (" + why + ")";
        }
    }

    /** Several overwrites at once. */
    private record Overwrites(List<Overwrite> steps) implements Mutation {
        public MemorySegment apply(byte[] original, byte[] scratch) {
            steps.forEach(step -> step.apply(original, scratch));
            return MemorySegment.ofArray(scratch);
        }

        public void undo(byte[] original, byte[] scratch) {
            steps.forEach(step -> step.undo(original, scratch));
        }

        public String toString() { return steps.toString(); }
    }

    @Test
    void mutatedAndTruncatedModelsParseOrFailWithModelFormatException() throws IOException {
        long t0 = System.nanoTime();
        int cases = 0;
        int rejected = 0;
        List<String> failures = new ArrayList<>();
        StringBuilder perModel = new StringBuilder();
        for (int m = 0; m < MODELS.size(); m++) {
            String model = MODELS.get(m);
            byte[] original = Files.readAllBytes(ModelLocator.fromEnvironment().locate(model));
            assertTrue(parsesOrFailsCleanly(model, MemorySegment.ofArray(original)), model + " itself must parse");
            GgufLayout layout = GgufLayout.of(original);
            List<Mutation> mutations = mutations(original, layout, new Random(SEED * 31 + m));
            int modelRejected = 0;
            long modelStart = System.nanoTime();
            byte[] scratch = original.clone();
            for (int i = 0; i < mutations.size(); i++) {
                Mutation mutation = mutations.get(i);
                try {
                    if (!parsesOrFailsCleanly(model, mutation.apply(original, scratch))) {
                        modelRejected++;
                    }
                } catch (Throwable t) {
                    if (failures.size() < FAILURES_SHOWN) {
                        failures.add(model + " case #" + i + " (seed " + SEED + "): " + mutation + "\n    -> " + t);
                    } else if (failures.size() == FAILURES_SHOWN) {
                        failures.add("...");
                    }
                } finally {
                    mutation.undo(original, scratch);
                }
            }
            cases += mutations.size();
            rejected += modelRejected;
            perModel.append(String.format("%n  %-28s %5d cases, %5d rejected, %4.1f s", model, mutations.size(), modelRejected,
                    (System.nanoTime() - modelStart) / 1e9));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("GGUF fuzz (seed %d): %d cases, %d rejected with ModelFormatException, %d parsed, %.1f s%s%n",
                SEED, cases, rejected, cases - rejected, seconds, perModel);
        if (VERBOSE) {
            EXAMPLES.forEach((kind, message) -> System.out.println("  e.g. " + message));
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " mutated files broke the reader's contract:\n" + String.join("\n", failures));
        }
        assertTrue(cases >= 5000, "too few cases: " + cases);
    }

    /**
     * Parses the image and reads all of it. Returns true if it parsed, false if it was rejected with a well-formed
     * ModelFormatException; anything else escapes.
     */
    private static boolean parsesOrFailsCleanly(String name, MemorySegment image) {
        try (GgufFile f = GgufFile.parse(name, image, null)) {
            touchEverything(f, image.byteSize());
            return true;
        } catch (ModelFormatException e) {
            checkMessage(e, name, image.byteSize());
            if (VERBOSE) {
                String problem = e.getMessage().substring(e.getMessage().lastIndexOf(": ") + 2);
                EXAMPLES.putIfAbsent(problem.replaceAll("[0-9]+", "#").replaceAll("'[^']*'", "'*'"), e.getMessage());
            }
            return false;
        }
    }

    private static void checkMessage(ModelFormatException e, String name, long size) {
        if (!e.getMessage().startsWith(name + ": ") || e.field() == null || e.field().isBlank()
                || !e.getMessage().contains(e.field())) {
            throw new AssertionError("message must start with the file name and name a field: " + e.getMessage(), e);
        }
        if (e.offset() != ModelFormatException.NO_OFFSET && (e.offset() < 0 || e.offset() > size)) {
            throw new AssertionError("offset outside the " + size + "-byte file: " + e.getMessage(), e);
        }
    }

    /** Every metadata value through every typed getter, and the first and last byte of every tensor. */
    private static void touchEverything(GgufFile f, long size) {
        GgufMetadata md = f.metadata();
        String unused = md.toString();
        for (Map.Entry<String, GgufValue> e : md.asMap().entrySet()) {
            touch(e.getValue().value());
            String key = e.getKey();
            // The getters may refuse a value of the wrong type, but only with a ModelFormatException.
            List<Runnable> getters = List.of(
                    () -> md.getString(key), () -> md.getLong(key), () -> md.getCount(key), () -> md.getFloat(key, 0),
                    () -> md.getBool(key, false), () -> md.getArray(key), () -> md.getStringArray(key),
                    () -> md.getFloatArray(key), () -> md.getIntArray(key), () -> md.getPerLayer(key, 4, null),
                    () -> md.getPerLayer(key, Integer.MAX_VALUE, null));
            for (Runnable getter : getters) {
                try {
                    getter.run();
                } catch (ModelFormatException ex) {
                    checkMessage(ex, f.name(), size);
                }
            }
        }
        for (GgufTensorInfo t : f.tensors().values()) {
            MemorySegment data = f.data(t);
            if (data.byteSize() != t.byteSize()) {
                throw new AssertionError(t.name() + ": slice of " + data.byteSize() + " bytes for a " + t.byteSize() + "-byte tensor");
            }
            if (data.byteSize() > 0) {
                data.get(ValueLayout.JAVA_BYTE, 0);
                data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
            }
            String described = t.shapeString() + t.rows() + t.columns() + t.elementCount();
        }
    }

    private static void touch(Object value) {
        if (value instanceof GgufArray a) {
            for (int i = 0; i < a.length(); i++) {
                switch (a.values()) {
                    case String[] s -> s[i].length();
                    case GgufArray[] nested -> touch(nested[i]);
                    case float[] fl -> Float.floatToIntBits(fl[i]);
                    case double[] d -> Double.doubleToLongBits(d[i]);
                    default -> a.longAt(i);
                }
            }
            String unused = a.toString();
        }
    }

    // ---- case generation -------------------------------------------------------------------------------------

    private static List<Mutation> mutations(byte[] file, GgufLayout layout, Random rnd) {
        List<Mutation> out = new ArrayList<>();
        int size = file.length;
        int header = (int) layout.dataStart;

        // Truncation at every field boundary of the header and inside each field, then at each tensor's last byte.
        for (GgufLayout.Field f : layout.fields) {
            out.add(new Truncate((int) f.offset(), "before " + f.label()));
            if (f.width() > 1) {
                out.add(new Truncate((int) f.offset() + f.width() / 2, "inside " + f.label()));
            }
        }
        for (long[] range : layout.tensorData) {
            if (range[1] > range[0]) {
                out.add(new Truncate((int) range[1] - 1, "one byte short of a tensor's end"));
            }
        }
        for (int i = 0; i < 100; i++) {
            out.add(new Truncate(rnd.nextInt(size), "random"));
        }

        // Extreme values in every integer field: counts, lengths, types, dimensions, offsets, integer values.
        for (GgufLayout.Field f : layout.fields) {
            if (f.kind() == GgufLayout.Kind.BYTES) {
                continue;
            }
            long[] extremes = f.kind() == GgufLayout.Kind.U32
                    ? new long[]{0, 1, 2, 3, 0xFFFF_FFFFL, 0x8000_0000L, 0x7FFF_FFFFL, 13, rnd.nextInt()}
                    : new long[]{0, 1, -1, 1L << 31, 1L << 32, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 62,
                                 size, size - f.end(), size - f.end() + 1, rnd.nextLong(), rnd.nextInt(64)};
            for (long v : extremes) {
                out.add(new Overwrite((int) f.offset(), littleEndian(v, f.width()), f.label() + " = " + Long.toUnsignedString(v)));
            }
        }

        // Random bit flips and byte overwrites in the header: the most fruitful place, since every later field moves.
        for (int i = 0; i < 600; i++) {
            int n = 1 + rnd.nextInt(4);
            List<Overwrite> steps = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                int at = rnd.nextInt(header);
                byte b = rnd.nextBoolean() ? (byte) (file[at] ^ (1 << rnd.nextInt(8))) : (byte) rnd.nextInt(256);
                steps.add(new Overwrite(at, new byte[]{b}, "header byte"));
            }
            out.add(n == 1 ? steps.getFirst() : new Overwrites(steps));
        }
        // Random overwrites anywhere; most land in tensor data, which the reader does not interpret.
        for (int i = 0; i < 100; i++) {
            byte[] junk = new byte[1 + rnd.nextInt(16)];
            rnd.nextBytes(junk);
            out.add(new Overwrite(rnd.nextInt(size - junk.length), junk, "random bytes"));
        }

        // Remove or duplicate whole metadata entries and tensor infos (duplicate keys and names, counts that lie),
        // and random header ranges.
        for (GgufLayout.Entry e : layout.entries) {
            out.add(new Splice((int) e.start(), (int) e.end(), -1, "remove " + e.label()));
            out.add(new Splice((int) e.start(), (int) e.end(), (int) e.end(), "duplicate " + e.label()));
        }
        for (int i = 0; i < 100; i++) {
            int start = 4 + rnd.nextInt(header - 4);
            int end = Math.min(header, start + 1 + rnd.nextInt(64));
            boolean duplicate = rnd.nextBoolean();
            out.add(new Splice(start, end, duplicate ? start + rnd.nextInt(header - start) : -1, "random header range"));
        }
        return out;
    }

    private static byte[] littleEndian(long v, int width) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
        return java.util.Arrays.copyOf(b.array(), width);
    }
}
