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

import static org.junit.jupiter.api.Assertions.*;

class GgufFileTest {

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
        }
    }

    @Test
    void writtenFileReadsBackIdentically(@TempDir Path dir) throws Exception {
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
}
