package io.strata.model.hf;

import io.strata.model.ModelFormatException;
import io.strata.model.ModelSource;
import io.strata.model.arch.Architecture;
import io.strata.model.arch.ModelConfig;
import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufMetadata;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.gguf.GgufValue;
import io.strata.model.tensor.GgmlType;
import io.strata.model.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Hugging Face directories as model sources: the derived stories260K copies against the GGUF they came from. */
class HfModelTest {
    static final Path MODELS = Path.of(System.getProperty("strata.model.path.default", "../shared/models"));

    static Path shared(final String relative) {
        final Path p = MODELS.resolve(relative);
        if (!Files.exists(p)) {
            fail("missing shared file " + p.toAbsolutePath());
        }
        return p;
    }

    @Test
    void theStoriesDirectoryHasTheGgufsTensorsHyperparametersAndTokenTypes() {
        try (HfModel hf = HfModel.open(shared("derived/stories260K-hf"));
             GgufFile gguf = GgufFile.open(shared("stories260K.gguf"))) {
            final Set<String> expected = new TreeSet<>(gguf.tensors().keySet());
            expected.remove("output.weight"); // tied in the HF copy: token_embd is the output head
            assertEquals(expected, new TreeSet<>(hf.tensors().keySet()));
            for (GgufTensorInfo t : hf.tensors().values()) {
                final GgufTensorInfo g = gguf.tensor(t.name());
                assertArrayEquals(g.shape(), t.shape(), t.name());
                assertEquals(GgmlType.F32, t.type(), t.name());
                final boolean qk = t.name().endsWith("attn_q.weight") || t.name().endsWith("attn_k.weight");
                if (!qk) {
                    assertEquals(-1, hf.data(t).mismatch(gguf.data(g)), t.name() + ": the same bytes, straight from the mapping");
                }
            }
            assertTrue(hf.rotateHalfQk());
            final ModelConfig a = ModelConfig.of(hf);
            final ModelConfig b = ModelConfig.of(gguf);
            assertEquals(Architecture.RopeType.NEOX, a.ropeType());
            assertEquals(Architecture.RopeType.NORM, b.ropeType());
            assertEquals(List.of(b.embeddingLength(), b.layerCount(), b.headCount(), b.kvHeadCount(), b.headDim(),
                            b.feedForwardLength(), b.vocabSize(), b.ropeDimensions(), b.ropeFreqBase(), b.rmsNormEps()),
                    List.of(a.embeddingLength(), a.layerCount(), a.headCount(), a.kvHeadCount(), a.headDim(),
                            a.feedForwardLength(), a.vocabSize(), a.ropeDimensions(), a.ropeFreqBase(), a.rmsNormEps()));
            assertEquals(512, a.contextLength(), "max_position_embeddings (the GGUF says 2048)");
            assertArrayEquals(gguf.metadata().getIntArray("tokenizer.ggml.token_type"), hf.metadata().getIntArray("tokenizer.ggml.token_type"));
            assertArrayEquals(gguf.metadata().getStringArray("tokenizer.ggml.tokens"), hf.metadata().getStringArray("tokenizer.ggml.tokens"));
            assertEquals(0, hf.metadata().getLong("general.file_type"));
        }
    }

    @Test
    void theTokenizerJsonTokenizesAsTheGgufsSentencePieceVocabulary() throws IOException {
        try (HfModel hf = HfModel.open(shared("derived/stories260K-hf"));
             GgufFile gguf = GgufFile.open(shared("stories260K.gguf"))) {
            final Tokenizer a = Tokenizer.fromGguf(hf.metadata());
            final Tokenizer b = Tokenizer.fromGguf(gguf.metadata());
            final List<String> texts = new ArrayList<>(Arrays.asList(Files.readString(shared("vocab/ggml-vocab-llama-spm.gguf.inp"))
                    .split("\n__ggml_vocab_test__\n")));
            texts.add("Once upon a time");
            final Random r = new Random(42);
            final String alphabet = "abcdefghijklmnopqrstuvwxyz   .,!?'\n\tLilyTom éü日本🙂";
            for (int i = 0; i < 300; i++) {
                final StringBuilder s = new StringBuilder();
                for (int j = r.nextInt(40); j > 0; j--) {
                    s.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, r.nextInt(alphabet.codePointCount(0, alphabet.length())))));
                }
                texts.add(s.toString());
            }
            for (String t : texts) {
                assertArrayEquals(b.encode(t, true, false), a.encode(t, true, false), "'" + t + "'");
            }
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, a.encode("Once upon a time", true, false));
            final int[] ids = b.encode("Once upon a time, there was a little girl named Lily.", true, false);
            assertEquals(b.decode(ids, true), a.decode(ids, true));
        }
    }

    @Test
    void theLlama3TokenizerJsonPassesLlamaCppsVectors() throws IOException {
        final Map<String, GgufValue> md = new LinkedHashMap<>();
        HfTokenizer.writeMetadata(shared("derived/llama3-tokenizer"), 128256, md);
        assertEquals("gpt2", md.get("tokenizer.ggml.model").value());
        assertEquals("llama-bpe", md.get("tokenizer.ggml.pre").value());
        assertEquals(128000, md.get("tokenizer.ggml.bos_token_id").value());
        assertTrue(((String) md.get("tokenizer.chat_template").value()).contains("<|start_header_id|>"));
        final Tokenizer t = Tokenizer.fromGguf(new GgufMetadata("llama3-tokenizer", md, Map.of()));
        final List<String> inputs = Arrays.asList(Files.readString(shared("vocab/ggml-vocab-llama-bpe.gguf.inp"))
                .split("\n__ggml_vocab_test__\n", -1));
        final List<String> outputs = Files.readAllLines(shared("vocab/ggml-vocab-llama-bpe.gguf.out"));
        int checked = 0;
        for (int i = 0; i < outputs.size() && i < inputs.size(); i++) {
            final String in = i == 0 && inputs.get(0).startsWith("\n") ? inputs.get(0).substring(1) : inputs.get(i);
            final String want = outputs.get(i).strip();
            final int[] ids = want.isEmpty() ? new int[0] : Arrays.stream(want.split(" ")).mapToInt(Integer::parseInt).toArray();
            assertArrayEquals(ids, t.encode(in, false, false), "case " + i + ": '" + in + "'");
            checked++;
        }
        assertTrue(checked >= 40, "checked " + checked);
        assertArrayEquals(new int[] {128000, 9906, 1917}, t.encode("Hello world", true, false));
    }

    @Test
    void theShardedBf16CopyReadsBothShardsThroughTheIndex() {
        try (HfModel hf = HfModel.open(shared("derived/stories260K-hf-bf16-sharded"));
             GgufFile bf16 = GgufFile.open(shared("derived/stories260K-BF16.gguf"))) {
            assertEquals(47, hf.tensors().size());
            assertEquals(32, hf.metadata().getLong("general.file_type"));
            assertEquals(GgmlType.BF16, hf.tensor("blk.4.ffn_down.weight").type());
            final GgufTensorInfo down = hf.tensor("blk.4.ffn_down.weight"); // in the second shard
            assertEquals(-1, hf.data(down).mismatch(bf16.data(bf16.tensor("blk.4.ffn_down.weight"))));
        }
    }

    @Test
    void aPickleCheckpointIsRefusedWithTheReasonAndWhatToDo(@TempDir final Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"]}");
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {0x50, 0x4b, 3, 4});
        final ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelSource.open(dir));
        assertTrue(e.getMessage().contains("pytorch_model.bin") && e.getMessage().contains("arbitrary code")
                && e.getMessage().contains("safe_serialization=True"), e.getMessage());
        final ModelFormatException file = assertThrows(ModelFormatException.class, () -> ModelSource.open(dir.resolve("pytorch_model.bin")));
        assertTrue(file.getMessage().contains("arbitrary code"), file.getMessage());
    }

    /** A copy of stories260K-hf's JSON files with the given weights (name → dtype, shape, bytes). */
    static Path tinyDirectory(final Path dir, final String config, final Map<String, Object[]> tensors) throws IOException {
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(shared("derived/stories260K-hf/" + f), dir.resolve(f));
        }
        Files.writeString(dir.resolve("config.json"), config);
        final StringBuilder h = new StringBuilder("{");
        long offset = 0;
        final List<byte[]> data = new ArrayList<>();
        for (Map.Entry<String, Object[]> t : tensors.entrySet()) {
            final byte[] bytes = (byte[]) t.getValue()[2];
            h.append(h.length() > 1 ? "," : "").append('"').append(t.getKey()).append("\":{\"dtype\":\"").append(t.getValue()[0])
                    .append("\",\"shape\":").append(Arrays.toString((long[]) t.getValue()[1]).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes.length).append("]}");
            offset += bytes.length;
            data.add(bytes);
        }
        h.append('}');
        final byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        final ByteBuffer b = ByteBuffer.allocate((int) (8 + header.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        data.forEach(b::put);
        Files.write(dir.resolve("model.safetensors"), b.array());
        return dir;
    }

    static final String TINY_CONFIG = "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":8,\"intermediate_size\":16,"
            + "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"vocab_size\":512}";

    @Test
    void aWeightInAnIntegerDtypeIsRefusedNamingIt(@TempDir final Path dir) throws IOException {
        tinyDirectory(dir, TINY_CONFIG, Map.of("model.norm.weight", new Object[] {"I32", new long[] {8}, new byte[32]}));
        final ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModel.open(dir));
        assertTrue(e.getMessage().contains("model.norm.weight") && e.getMessage().contains("I32")
                && e.getMessage().contains("supported: F32, F16, BF16"), e.getMessage());
    }

    @Test
    void aTensorWithoutAGgufNameIsRefused(@TempDir final Path dir) throws IOException {
        tinyDirectory(dir, TINY_CONFIG, Map.of("model.vision_tower.weight", new Object[] {"F32", new long[] {2}, new byte[8]}));
        final ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModel.open(dir));
        assertTrue(e.getMessage().contains("model.vision_tower.weight") && e.getMessage().contains("no GGUF name"), e.getMessage());
    }

    @Test
    void anUnsupportedArchitectureIsNamed(@TempDir final Path dir) throws IOException {
        tinyDirectory(dir, TINY_CONFIG.replace("LlamaForCausalLM", "GPT2LMHeadModel"), Map.of());
        final ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModel.open(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("'GPT2LMHeadModel' is not supported"), e.getMessage());
    }

    @Test
    void anIndexNamingAFileOutsideTheDirectoryIsRefused(@TempDir final Path dir) throws IOException {
        tinyDirectory(dir, TINY_CONFIG, Map.of());
        Files.delete(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"model.norm.weight\":\"../../etc/passwd\"}}");
        final ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModel.open(dir));
        assertTrue(e.getMessage().contains("must name a file in the model directory"), e.getMessage());
    }

    @Test
    void llama3RopeScalingBecomesRopeFreqsAsTheConverterComputesThem(@TempDir final Path dir) throws IOException {
        tinyDirectory(dir, TINY_CONFIG.replace("}", ",\"rope_theta\":500000.0,\"rope_scaling\":{\"rope_type\":\"llama3\","
                + "\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192}}"), Map.of());
        final HfConfig c = HfConfig.read(dir);
        final float[] f = c.ropeFreqFactors();
        assertEquals(2, f.length);
        assertEquals(1f, f[0]);     // the highest frequency is not scaled
        // 500000^(-1/2): wavelength 2 pi 707 = 4443, between 8192/4 and 8192, so smoothed:
        // s = (8192 / 4443 - 1) / 3, factor = 1 / ((1 - s) / 8 + s)
        final double wavelen = 2 * Math.PI / (float) (1 / Math.sqrt(500000));
        final double s = (8192 / wavelen - 1) / 3;
        assertEquals(1 / ((1 - s) / 8 + s), f[1], 1e-5);
        final HfConfig plain = HfConfig.read(Files.writeString(dir.resolve("config.json"), TINY_CONFIG).getParent());
        assertNull(plain.ropeFreqFactors());
    }
}
