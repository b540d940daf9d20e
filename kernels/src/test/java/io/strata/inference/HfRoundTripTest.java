package io.strata.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.ModelSource;
import io.strata.model.arch.Architecture;
import io.strata.model.convert.FileType;
import io.strata.model.convert.GgufConverter;
import io.strata.model.store.ModelLocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random-weight Hugging Face directories in shapes the shared models do not have (qwen2 with biases and a tied head,
 * llama with GQA, an untied head and 16-dimensional heads), run directly and after {@code strata convert} to F32:
 * both must compute the same model. For qwen2 nothing is permuted, so the logits are equal bit for bit; for llama
 * the converted file's interleaved RoPE over permuted rows is the directory's NEOX RoPE over HF rows, up to the
 * order of the q.k sums.
 */
class HfRoundTripTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aQwen2DirectoryAndItsConversionGiveTheSameLogitsBitForBit(@TempDir final Path dir) throws IOException {
        final Path hf = Files.createDirectories(dir.resolve("qwen2"));
        writeQwen2(hf);
        final float[][] direct = logits(hf);
        final float[][] converted = logits(convert(hf, dir.resolve("qwen2.gguf")));
        for (int i = 0; i < direct.length; i++) {
            assertArrayEquals(direct[i], converted[i], "step " + i);
        }
        try (LocalModel m = LocalModel.open(hf)) {
            assertEquals(Architecture.QWEN2, m.config().architecture());
            assertEquals(300, m.tokenizer().vocabulary().size(), "ids beyond the tokenizer's are [PAD] tokens");
            assertEquals("qwen2", m.tokenizer().vocabulary().preTokenizerName());
        }
    }

    @Test
    void aLlamaDirectoryRunsAsItsConversionWithPermutedRows(@TempDir final Path dir) throws IOException {
        final Path hf = Files.createDirectories(dir.resolve("llama"));
        writeLlama(hf);
        final float[][] direct = logits(hf);
        final float[][] converted = logits(convert(hf, dir.resolve("llama.gguf")));
        for (int i = 0; i < direct.length; i++) {
            for (int j = 0; j < direct[i].length; j++) {
                assertEquals(converted[i][j], direct[i][j], 1e-4, "step " + i + " logit " + j);
            }
        }
    }

    private static Path convert(final Path hf, final Path out) throws IOException {
        try (ModelSource s = ModelSource.open(hf)) {
            GgufConverter.convert(s, FileType.F32, out, false, line -> { });
        }
        return out;
    }

    /** The prompt's logits, then 6 decode steps on fixed tokens. */
    private static float[][] logits(final Path model) {
        try (LocalModel m = LocalModel.open(model); Transformer tr = m.newTransformer(8, 32, 1, null)) {
            final KvCache cache = new KvCache(m.config(), 32);
            final Batch b = new Batch(8);
            final int[] prompt = {1, 7, 42, 99, 3};
            final float[][] out = new float[7][m.config().vocabSize()];
            b.addSequence(cache, prompt, 0, prompt.length);
            tr.forward(b, out[0]);
            for (int step = 1; step < out.length; step++) {
                b.clear();
                b.add(cache, 10 + 13 * step, cache.length(), true);
                tr.forward(b, out[step]);
            }
            return out;
        }
    }

    private static void writeQwen2(final Path dir) throws IOException {
        final int d = 64, layers = 2, heads = 4, kv = 2, hd = 16, ff = 128, vocab = 300;
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(object(
                "architectures", List.of("Qwen2ForCausalLM"), "hidden_size", d, "intermediate_size", ff,
                "num_hidden_layers", layers, "num_attention_heads", heads, "num_key_value_heads", kv,
                "vocab_size", vocab, "max_position_embeddings", 256, "rms_norm_eps", 1e-6, "rope_theta", 1000000.0,
                "tie_word_embeddings", true)));
        writeByteLevelTokenizer(dir);
        final Map<String, float[][]> t = new LinkedHashMap<>();
        final SplittableRandom r = new SplittableRandom(7);
        t.put("model.embed_tokens.weight", random(r, vocab, d, 1f));
        for (int l = 0; l < layers; l++) {
            final String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", norm(r, d));
            t.put(p + "self_attn.q_proj.weight", random(r, heads * hd, d, 0.2f));
            t.put(p + "self_attn.q_proj.bias", random(r, 1, heads * hd, 0.2f));
            t.put(p + "self_attn.k_proj.weight", random(r, kv * hd, d, 0.2f));
            t.put(p + "self_attn.k_proj.bias", random(r, 1, kv * hd, 0.2f));
            t.put(p + "self_attn.v_proj.weight", random(r, kv * hd, d, 0.2f));
            t.put(p + "self_attn.v_proj.bias", random(r, 1, kv * hd, 0.2f));
            t.put(p + "self_attn.o_proj.weight", random(r, d, heads * hd, 0.2f));
            t.put(p + "post_attention_layernorm.weight", norm(r, d));
            t.put(p + "mlp.gate_proj.weight", random(r, ff, d, 0.2f));
            t.put(p + "mlp.up_proj.weight", random(r, ff, d, 0.2f));
            t.put(p + "mlp.down_proj.weight", random(r, d, ff, 0.2f));
            t.put(p + "self_attn.rotary_emb.inv_freq", random(r, 1, hd / 2, 1f));
        }
        t.put("model.norm.weight", norm(r, d));
        writeSafetensors(dir.resolve("model.safetensors"), t);
    }

    private static void writeLlama(final Path dir) throws IOException {
        final int d = 64, layers = 2, heads = 4, kv = 2, hd = 16, ff = 96, vocab = 512;
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(object(
                "architectures", List.of("LlamaForCausalLM"), "hidden_size", d, "intermediate_size", ff,
                "num_hidden_layers", layers, "num_attention_heads", heads, "num_key_value_heads", kv,
                "vocab_size", vocab, "max_position_embeddings", 256, "rms_norm_eps", 1e-5, "rope_theta", 10000.0,
                "tie_word_embeddings", false)));
        final Path stories = ModelLocator.fromEnvironment().locate("stories260K-hf");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(stories.resolve(f), dir.resolve(f));
        }
        final Map<String, float[][]> t = new LinkedHashMap<>();
        final SplittableRandom r = new SplittableRandom(11);
        t.put("model.embed_tokens.weight", random(r, vocab, d, 1f));
        t.put("lm_head.weight", random(r, vocab, d, 0.2f));
        for (int l = 0; l < layers; l++) {
            final String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", norm(r, d));
            t.put(p + "self_attn.q_proj.weight", random(r, heads * hd, d, 0.3f));
            t.put(p + "self_attn.k_proj.weight", random(r, kv * hd, d, 0.3f));
            t.put(p + "self_attn.v_proj.weight", random(r, kv * hd, d, 0.2f));
            t.put(p + "self_attn.o_proj.weight", random(r, d, heads * hd, 0.2f));
            t.put(p + "post_attention_layernorm.weight", norm(r, d));
            t.put(p + "mlp.gate_proj.weight", random(r, ff, d, 0.2f));
            t.put(p + "mlp.up_proj.weight", random(r, ff, d, 0.2f));
            t.put(p + "mlp.down_proj.weight", random(r, d, ff, 0.2f));
        }
        t.put("model.norm.weight", norm(r, d));
        writeSafetensors(dir.resolve("model.safetensors"), t);
    }

    /** 256 byte-level tokens, a few merges, the Qwen2 split regex, one special token; ids up to the config's are unused. */
    private static void writeByteLevelTokenizer(final Path dir) throws IOException {
        final Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(Character.toString(byteLevelChar(b)), b);
        }
        final List<String> merges = List.of("h e", "l l", "he ll", "o \u0120");
        int id = 256;
        for (String m : merges) {
            vocab.put(m.replace(" ", ""), id++);
        }
        final Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("version", "1.0");
        tok.put("added_tokens", List.of(Map.of("id", 280, "content", "<|endoftext|>", "special", true)));
        tok.put("normalizer", Map.of("type", "NFC"));
        tok.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(
                Map.of("type", "Split", "pattern", Map.of("Regex", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
                        "behavior", "Isolated", "invert", false),
                Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false))));
        tok.put("model", Map.of("type", "BPE", "byte_fallback", false, "vocab", vocab, "merges", merges));
        Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(tok));
        Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(Map.of(
                "eos_token", "<|endoftext|>", "chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}")));
    }

    /** A JSON object from key, value pairs (more than Map.of takes). */
    private static Map<String, Object> object(final Object... kv) {
        final Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** GPT-2's bytes_to_unicode. */
    private static int byteLevelChar(final int b) {
        if (b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF) {
            return b;
        }
        int n = 0;
        for (int x = 0; x < b; x++) {
            if (!(x >= '!' && x <= '~' || x >= 0xA1 && x <= 0xAC || x >= 0xAE && x <= 0xFF)) {
                n++;
            }
        }
        return 256 + n;
    }

    private static float[][] random(final SplittableRandom r, final int rows, final int cols, final float scale) {
        final float[][] m = new float[rows][cols];
        for (float[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) ((r.nextDouble() * 2 - 1) * scale);
            }
        }
        return m;
    }

    private static float[][] norm(final SplittableRandom r, final int n) {
        final float[][] v = random(r, 1, n, 0.1f);
        for (int i = 0; i < n; i++) {
            v[0][i] += 1f;
        }
        return v;
    }

    /** F32 tensors; a one-row matrix is written as a vector. */
    private static void writeSafetensors(final Path file, final Map<String, float[][]> tensors) throws IOException {
        final Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        final List<float[][]> data = new ArrayList<>();
        for (Map.Entry<String, float[][]> e : tensors.entrySet()) {
            final float[][] m = e.getValue();
            final long bytes = 4L * m.length * m[0].length;
            final List<Integer> shape = m.length == 1 ? List.of(m[0].length) : List.of(m.length, m[0].length);
            header.put(e.getKey(), Map.of("dtype", "F32", "shape", shape, "data_offsets", List.of(offset, offset + bytes)));
            offset += bytes;
            data.add(m);
        }
        final byte[] h = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        final ByteBuffer b = ByteBuffer.allocate((int) (8 + h.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (float[][] m : data) {
            for (float[] row : m) {
                for (float v : row) {
                    b.putFloat(v);
                }
            }
        }
        Files.write(file, b.array());
    }
}
