package io.strata.model.gguf;

import io.strata.model.ModelFormatException;
import io.strata.model.store.ModelLocator;
import io.strata.model.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class GgufFileTest {
    @TempDir
    Path dir;

    @Test
    void readsStories260KHeaderAndTensors() {
        Path p = ModelLocator.fromEnvironment().locate("stories260K.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, f.version());
            assertEquals("llama", f.metadata().getString("general.architecture"));
            assertEquals(64, f.metadata().getCount("llama.embedding_length"));
            assertEquals(512, f.metadata().getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(48, f.tensors().size());
            GgufTensorInfo emb = f.tensor("token_embd.weight");
            assertEquals(GgmlType.F32, emb.type());
            assertArrayEquals(new long[]{64, 512}, emb.shape());
            assertEquals(64L * 512 * 4, f.data(emb).byteSize());
            assertTrue(f.data(emb).isMapped(), "weights stay in the file mapping, never copied onto the heap");
        }
    }

    @Test
    void writtenFileReadsBackIdentically() throws Exception {
        Path out = dir.resolve("t.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putUint32("llama.block_count", 2)
                .putFloat32("x.f", 1.5f)
                .putBool("x.b", true)
                .putArray("x.strings", new GgufArray(GgufValueType.STRING, new String[]{"a", "bc", ""}))
                .putArray("x.nested", new GgufArray(GgufValueType.ARRAY, new GgufArray[]{
                        new GgufArray(GgufValueType.INT32, new int[]{1, 2}), new GgufArray(GgufValueType.FLOAT32, new float[]{3f})}))
                .addTensor("w", new long[]{4, 3}, GgmlType.F32, seg -> {
                    for (int i = 0; i < 12; i++) {
                        seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, i * 0.5f);
                    }
                })
                .addTensor("v", new long[]{32}, GgmlType.Q8_0, seg -> seg.fill((byte) 1))
                .write(out);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("llama", f.metadata().getString("general.architecture"));
            assertEquals(2, f.metadata().getCount("llama.block_count"));
            assertEquals(1.5f, f.metadata().getFloat("x.f", 0));
            assertTrue(f.metadata().getBool("x.b", false));
            assertArrayEquals(new String[]{"a", "bc", ""}, f.metadata().getStringArray("x.strings"));
            GgufArray[] nested = (GgufArray[]) f.metadata().getArray("x.nested").values();
            assertArrayEquals(new int[]{1, 2}, (int[]) nested[0].values());
            MemorySegment w = f.data(f.tensor("w"));
            assertEquals(5.5f, w.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 11));
            assertEquals(0, f.tensor("v").offset() % 32);
        }
    }

    @Test
    void truncatedFileNamesFieldAndOffset() throws Exception {
        byte[] all = Files.readAllBytes(ModelLocator.fromEnvironment().locate("stories260K.gguf"));
        MemorySegment cut = MemorySegment.ofArray(java.util.Arrays.copyOf(all, 1000));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.parse("cut.gguf", cut, (Arena) null));
        assertTrue(e.getMessage().startsWith("cut.gguf: "), e.getMessage());
        assertTrue(e.offset() >= 0 && e.offset() <= 1000, e.getMessage());
    }

    // ---- versions and magic -----------------------------------------------------------------------------------

    @Test
    void version2ParsesLikeVersion3() throws Exception {
        byte[] v3 = Files.readAllBytes(ModelLocator.fromEnvironment().locate("stories260K.gguf"));
        byte[] v2 = withU32(v3, 4, 2);
        try (GgufFile a = parse("v3.gguf", v3); GgufFile b = parse("v2.gguf", v2)) {
            assertEquals(2, b.version());
            assertEquals(a.metadata().asMap().keySet(), b.metadata().asMap().keySet());
            assertEquals(a.metadata().getString("general.architecture"), b.metadata().getString("general.architecture"));
            assertArrayEquals(a.metadata().getStringArray("tokenizer.ggml.tokens"), b.metadata().getStringArray("tokenizer.ggml.tokens"));
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            assertEquals(a.dataStart(), b.dataStart());
            for (GgufTensorInfo t : a.tensors().values()) {
                assertEquals(-1, a.data(t).mismatch(b.data(b.tensor(t.name()))), t.name());
            }
        }
    }

    @Test
    void version1AndVersion4AreRefusedNamingTheVersion() throws Exception {
        byte[] good = smallFile(new GgufWriter().putString("general.architecture", "llama"));
        ModelFormatException v1 = rejected("v1.gguf", withU32(good, 4, 1));
        assertEquals("version", v1.field());
        assertEquals(4, v1.offset());
        assertTrue(v1.getMessage().contains("version 1 is obsolete"), v1.getMessage());
        ModelFormatException v4 = rejected("v4.gguf", withU32(good, 4, 4));
        assertTrue(v4.getMessage().startsWith("v4.gguf: version at byte 4: unsupported GGUF version 4 (supported: 2, 3"), v4.getMessage());
        ModelFormatException swapped = rejected("be.gguf", withU32(good, 4, 0x0300_0000));
        assertTrue(swapped.getMessage().contains("byte-swapped"), swapped.getMessage());
    }

    @Test
    void aTextFileIsReportedAsNotGguf() {
        ModelFormatException e = rejected("notes.txt", "Hello, this is not a model\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("magic", e.field());
        assertTrue(e.getMessage().startsWith("notes.txt: magic at byte 0: not a GGUF file"), e.getMessage());
        assertTrue(e.getMessage().contains("\"Hello, t\""), "shows what the file starts with: " + e.getMessage());
        ModelFormatException tiny = rejected("tiny", new byte[]{'G', 'G'});
        assertTrue(tiny.getMessage().contains("not a GGUF file (only 2 bytes"), tiny.getMessage());
        assertTrue(rejected("empty", new byte[0]).getMessage().contains("not a GGUF file"));
    }

    // ---- tensors ----------------------------------------------------------------------------------------------

    @Test
    void tensorWhoseDataRunsPastTheEndIsNamed() throws Exception {
        byte[] good = smallFile(twoTensors());
        GgufLayout layout = GgufLayout.of(good);
        long secondEnd = layout.tensorData.get(1)[1];
        byte[] cut = Arrays.copyOf(good, (int) secondEnd - 1);
        ModelFormatException e = rejected("cut.gguf", cut);
        assertEquals("tensor 'second' data", e.field());
        assertTrue(e.getMessage().contains("beyond the end of the file (" + cut.length + " bytes)"), e.getMessage());
        try (GgufFile exact = parse("exact.gguf", Arrays.copyOf(good, (int) secondEnd))) {
            assertEquals(12, exact.data(exact.tensor("second")).byteSize(), "padding after the last tensor is optional");
        }

        byte[] farOffset = withU64(good, layout.field("tensor 'first' offset").offset(), 1L << 40);
        assertEquals("tensor 'first' data", rejected("far.gguf", farOffset).field());
    }

    @Test
    void unknownTensorTypeIdIsNamed() throws Exception {
        byte[] good = smallFile(twoTensors());
        long at = GgufLayout.of(good).field("tensor 'first' type").offset();
        for (int id : new int[]{4, 31, 39, 99, -1}) {
            ModelFormatException e = rejected("type.gguf", withU32(good, at, id));
            assertEquals("tensor 'first' type", e.field());
            assertEquals(at, e.offset());
            assertTrue(e.getMessage().endsWith("unknown ggml type id " + Integer.toUnsignedString(id)), e.getMessage());
        }
    }

    @Test
    void duplicateTensorNameIsRefused() throws Exception {
        // "first" and "other" have the same length, so renaming one to the other moves nothing.
        byte[] good = smallFile(new GgufWriter()
                .addTensor("first", new long[]{4}, GgmlType.F32, s -> {})
                .addTensor("other", new long[]{4}, GgmlType.F32, s -> {}));
        long at = GgufLayout.of(good).field("tensor 'other' name bytes").offset();
        byte[] dup = good.clone();
        System.arraycopy("first".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, dup, (int) at, 5);
        ModelFormatException e = rejected("dup.gguf", dup);
        assertEquals("tensor 'first'", e.field());
        assertTrue(e.getMessage().endsWith("duplicate tensor name"), e.getMessage());
    }

    @Test
    void tensorDimensionsAndOffsetsOfAtLeast2To63AreRefusedNotWrapped() throws Exception {
        byte[] good = smallFile(twoTensors());
        GgufLayout layout = GgufLayout.of(good);
        ModelFormatException dim = rejected("dim.gguf", withU64(good, layout.field("tensor 'first' ne[1]").offset(), Long.MIN_VALUE));
        assertTrue(dim.getMessage().contains("tensor 'first' ne[1]") && dim.getMessage().contains("9223372036854775808"), dim.getMessage());
        ModelFormatException off = rejected("off.gguf", withU64(good, layout.field("tensor 'second' offset").offset(), -32L));
        assertTrue(off.getMessage().contains("tensor 'second' offset") && off.getMessage().contains("18446744073709551584"), off.getMessage());
        ModelFormatException absurd = rejected("big.gguf", withU64(good, layout.field("tensor 'first' ne[0]").offset(), 1L << 40));
        assertTrue(absurd.getMessage().contains("tensor 'first' ne[0]") && absurd.getMessage().contains("impossible for a file of"), absurd.getMessage());

        // Each dimension within bounds, their product beyond 2^63: needs 4 dimensions in a file of 32 kB.
        byte[] fourD = smallFile(new GgufWriter().addTensor("t", new long[]{16, 16, 8, 4}, GgmlType.F32, s -> {}));
        GgufLayout l4 = GgufLayout.of(fourD);
        for (int d = 0; d < 4; d++) {
            fourD = withU64(fourD, l4.field("tensor 't' ne[" + d + "]").offset(), 1L << 17);
        }
        assertEquals("tensor 't' shape", rejected("overflow.gguf", fourD).field());
        ModelFormatException tooManyDims = rejected("dims.gguf", withU32(good, layout.field("tensor 'first' n_dims").offset(), 5));
        assertEquals("tensor 'first' n_dims", tooManyDims.field());
    }

    @Test
    void zeroDimensionsGiveEmptyTensorsInsideTheFile() throws Exception {
        byte[] bytes = smallFile(new GgufWriter()
                .addTensor("empty_rows", new long[]{8, 0}, GgmlType.F32, s -> {})
                .addTensor("empty_cols", new long[]{0, 8}, GgmlType.Q4_0, s -> {})
                .addTensor("after", new long[]{1}, GgmlType.F32, s -> s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, 3f)));
        try (GgufFile f = parse("zero.gguf", bytes)) {
            assertEquals(0, f.tensor("empty_rows").byteSize());
            assertEquals(0, f.data(f.tensor("empty_cols")).byteSize());
            assertEquals(0, f.tensor("empty_cols").rows());
            assertEquals(3f, f.data(f.tensor("after")).get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        }
    }

    @Test
    void zeroDimensionalTensorIsAScalarAsInGgml() throws Exception {
        // Alignment 1 so that removing the 8-byte ne[0] moves the data with the header.
        byte[] bytes = smallFile(new GgufWriter().putUint32(GgufMetadata.ALIGNMENT_KEY, 1)
                .addTensor("s", new long[]{1}, GgmlType.F32, seg -> seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, 42f)));
        GgufLayout layout = GgufLayout.of(bytes);
        int nDims = (int) layout.field("tensor 's' n_dims").offset();
        byte[] scalar = withU32(bytes, nDims, 0);
        int ne0 = (int) layout.field("tensor 's' ne[0]").offset();
        byte[] spliced = new byte[scalar.length - 8];
        System.arraycopy(scalar, 0, spliced, 0, ne0);
        System.arraycopy(scalar, ne0 + 8, spliced, ne0, scalar.length - ne0 - 8);
        try (GgufFile f = parse("scalar.gguf", spliced)) {
            assertArrayEquals(new long[]{1}, f.tensor("s").shape());
            assertEquals(42f, f.data(f.tensor("s")).get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        }
    }

    // ---- metadata ---------------------------------------------------------------------------------------------

    @Test
    void duplicateKeyIsRefused() throws Exception {
        byte[] good = smallFile(new GgufWriter().putString("general.name", "a").putUint32("x", 1));
        GgufLayout.Entry first = GgufLayout.of(good).entries.getFirst();
        byte[] dup = new byte[good.length + (int) (first.end() - first.start())];
        System.arraycopy(good, 0, dup, 0, (int) first.end());
        System.arraycopy(good, (int) first.start(), dup, (int) first.end(), (int) (first.end() - first.start()));
        System.arraycopy(good, (int) first.end(), dup, (int) (2 * first.end() - first.start()), good.length - (int) first.end());
        dup = withU64(dup, 16, 3);
        ModelFormatException e = rejected("dupkey.gguf", dup);
        assertEquals("metadata 'general.name'", e.field());
        assertEquals(first.end(), e.offset());
        assertTrue(e.getMessage().endsWith("duplicate key"), e.getMessage());
    }

    @Test
    void badAlignmentIsRefusedNamingTheKey() throws Exception {
        byte[] good = smallFile(new GgufWriter().putUint32(GgufMetadata.ALIGNMENT_KEY, 32).addTensor("w", new long[]{4}, GgmlType.F32, s -> {}));
        long value = GgufLayout.of(good).field("metadata 'general.alignment' value").offset();
        for (int bad : new int[]{0, 3, 48, 0x8000_0000}) {
            ModelFormatException e = rejected("align.gguf", withU32(good, value, bad));
            assertEquals("metadata 'general.alignment'", e.field());
            assertEquals(value, e.offset());
            assertTrue(e.getMessage().contains("must be a power of two") && e.getMessage().contains(Integer.toUnsignedString(bad)), e.getMessage());
        }
        // A key of the same length renamed to general.alignment gives a string alignment.
        byte[] text = smallFile(new GgufWriter().putString("general.alignmenX", "32"));
        long keyAt = GgufLayout.of(text).field("metadata 'general.alignmenX' key bytes").offset();
        text[(int) keyAt + 16] = 't';
        ModelFormatException e = rejected("align.gguf", text);
        assertTrue(e.getMessage().contains("found STRING"), e.getMessage());
    }

    @Test
    void arraysNestedDeeperThanTheLimitAreRefused() {
        try (GgufFile f = parse("deep.gguf", nestedArrays(GgufFile.MAX_ARRAY_NESTING))) {
            assertNotNull(f.metadata().getArray("deep"));
        }
        ModelFormatException e = rejected("deeper.gguf", nestedArrays(GgufFile.MAX_ARRAY_NESTING + 1));
        assertTrue(e.getMessage().startsWith("deeper.gguf: metadata 'deep'[0][0][0][0][0][0][0][0] at byte "), e.getMessage());
        assertTrue(e.getMessage().endsWith("arrays nested more than " + GgufFile.MAX_ARRAY_NESTING + " deep"), e.getMessage());
    }

    /** A file whose one key "deep" holds {@code levels} arrays inside each other, the innermost an empty INT32 array. */
    private static byte[] nestedArrays(int levels) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64 + 12 * levels).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1);
        b.putLong(4).put("deep".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(GgufValueType.ARRAY.id());
        for (int i = 1; i < levels; i++) {
            b.putInt(GgufValueType.ARRAY.id()).putLong(1);
        }
        b.putInt(GgufValueType.INT32.id()).putLong(0);
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void boolOtherThanZeroOrOneIsRefused() throws Exception {
        byte[] good = smallFile(new GgufWriter().putBool("flag", true));
        long at = GgufLayout.of(good).field("metadata 'flag' value").offset();
        byte[] bad = good.clone();
        bad[(int) at] = 2;
        ModelFormatException e = rejected("bool.gguf", bad);
        assertEquals("metadata 'flag'", e.field());
        assertEquals(at, e.offset());
    }

    @Test
    void manySmallValuesCannotMakeTheHeaderOutgrowItsHeapBudget() throws Exception {
        // 100k empty strings are 800 kB on disk but ~6 MB of String objects: the budget counts objects, not bytes.
        byte[] bytes = smallFile(new GgufWriter().putArray("many", new GgufArray(GgufValueType.STRING, emptyStrings(100_000))));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> GgufFile.parse("many.gguf", MemorySegment.ofArray(bytes), null, 1L << 20));
        assertTrue(e.getMessage().startsWith("many.gguf: metadata 'many'"), e.getMessage());
        assertTrue(e.getMessage().contains("MiB of heap"), e.getMessage());
        try (GgufFile f = parse("many.gguf", bytes)) {
            assertEquals(100_000, f.metadata().getStringArray("many").length, "the default budget takes it");
        }
    }

    @Test
    void aHugeKeyIsShortenedInMessagesAndDoesNotSlowParsing() throws Exception {
        // Element names are built only for a message: a 400 kB key on a 50k-element array must not cost 20 GB of copying.
        String key = "k".repeat(400_000);
        String[] strings = emptyStrings(50_000);
        strings[strings.length - 1] = "x".repeat(100); // the cut below falls in the last element, after 49999 good ones
        byte[] good = smallFile(new GgufWriter().putArray(key, new GgufArray(GgufValueType.STRING, strings)));
        byte[] cut = Arrays.copyOf(good, good.length - 40);
        long t0 = System.nanoTime();
        ModelFormatException e = rejected("key.gguf", cut);
        assertTrue((System.nanoTime() - t0) < 2_000_000_000L, "parsing took " + (System.nanoTime() - t0) / 1e9 + " s");
        assertTrue(e.getMessage().length() < 400, e.getMessage());
        assertTrue(e.getMessage().contains("(400000 chars)'[49999]"), e.getMessage());
    }

    // ---- opening files ------------------------------------------------------------------------------------------

    @Test
    void openingAMissingFileSaysFileNotFoundWithThePath() {
        Path missing = dir.resolve("nope.gguf");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(missing));
        assertEquals(missing + ": file: file not found", e.getMessage());
    }

    @Test
    void openingADirectorySaysSo() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(dir));
        assertTrue(e.getMessage().startsWith(dir + ": file: is a directory"), e.getMessage());
    }

    @Test
    void openingAnEmptyFileSaysItIsNotGguf() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(empty));
        assertTrue(e.getMessage().startsWith(empty + ": magic at byte 0: not a GGUF file"), e.getMessage());
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static GgufWriter twoTensors() {
        return new GgufWriter().putString("general.architecture", "llama")
                .addTensor("first", new long[]{32, 2}, GgmlType.Q8_0, s -> s.fill((byte) 1))
                .addTensor("second", new long[]{3}, GgmlType.F32, s -> s.fill((byte) 2));
    }

    private static String[] emptyStrings(int n) {
        String[] s = new String[n];
        Arrays.fill(s, "");
        return s;
    }

    /** Writes the file and returns its bytes. */
    private byte[] smallFile(GgufWriter w) throws Exception {
        Path p = dir.resolve("small-" + System.nanoTime() + ".gguf");
        w.write(p);
        return Files.readAllBytes(p);
    }

    private static GgufFile parse(String name, byte[] bytes) {
        return GgufFile.parse(name, MemorySegment.ofArray(bytes), null);
    }

    private static ModelFormatException rejected(String name, byte[] bytes) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> parse(name, bytes).close());
        assertTrue(e.getMessage().startsWith(name + ": " + e.field()), e.getMessage());
        return e;
    }

    private static byte[] withU32(byte[] b, long at, int v) {
        byte[] c = b.clone();
        java.nio.ByteBuffer.wrap(c).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt((int) at, v);
        return c;
    }

    private static byte[] withU64(byte[] b, long at, long v) {
        byte[] c = b.clone();
        java.nio.ByteBuffer.wrap(c).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong((int) at, v);
        return c;
    }
}
