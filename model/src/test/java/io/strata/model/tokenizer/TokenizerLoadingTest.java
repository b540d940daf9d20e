package io.strata.model.tokenizer;

import io.strata.model.ModelFormatException;
import io.strata.model.gguf.GgufArray;
import io.strata.model.gguf.GgufMetadata;
import io.strata.model.gguf.GgufValue;
import io.strata.model.gguf.GgufValueType;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tokenizer selection from hand-made metadata: what is refused, and the defaults and overrides. */
class TokenizerLoadingTest {

    private static Map<String, GgufValue> tinyBpe(final String pre) {
        final Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("tokenizer.ggml.model", GgufValue.of("gpt2"));
        if (pre != null) {
            kv.put("tokenizer.ggml.pre", GgufValue.of(pre));
        }
        kv.put("tokenizer.ggml.tokens", strings("a", "b", "ab", "\u0120", "<|endoftext|>"));
        kv.put("tokenizer.ggml.merges", strings("a b"));
        return kv;
    }

    private static GgufValue strings(final String... values) {
        return GgufValue.array(new GgufArray(GgufValueType.STRING, values));
    }

    private static GgufMetadata metadata(final Map<String, GgufValue> kv) {
        return new GgufMetadata("tiny.gguf", kv, Map.of());
    }

    @Test
    void unknownPreTokenizerIsRefusedByName() {
        final ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> Tokenizer.fromGguf(metadata(tinyBpe("no-such-pre"))));
        assertTrue(e.getMessage().contains("no-such-pre"), e.getMessage());
        assertTrue(e.getMessage().contains("tokenizer.ggml.pre"), e.getMessage());
        assertTrue(e.getMessage().contains("tiny.gguf"), e.getMessage());
    }

    @Test
    void unsupportedTokenizerModelIsRefusedByName() {
        final Map<String, GgufValue> kv = tinyBpe("gpt-2");
        kv.put("tokenizer.ggml.model", GgufValue.of("t5"));
        final ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.fromGguf(metadata(kv)));
        assertTrue(e.getMessage().contains("'t5'"), e.getMessage());
    }

    @Test
    void missingMergesAreRefused() {
        final Map<String, GgufValue> kv = tinyBpe("gpt-2");
        kv.remove("tokenizer.ggml.merges");
        final ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.fromGguf(metadata(kv)));
        assertTrue(e.getMessage().contains("tokenizer.ggml.merges"), e.getMessage());
    }

    @Test
    void duplicateTokenTextsAreRefused() {
        final Map<String, GgufValue> kv = tinyBpe("gpt-2");
        kv.put("tokenizer.ggml.tokens", strings("a", "b", "a"));
        final ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.fromGguf(metadata(kv)));
        assertTrue(e.getMessage().contains("ids 0 and 2"), e.getMessage());
    }

    @Test
    void missingPreTokenizerFallsBackToDefault() {
        final Tokenizer t = Tokenizer.fromGguf(metadata(tinyBpe(null)));
        assertEquals("default", t.vocabulary().preTokenizerName());
        assertArrayEquals(new int[] {2, 3, 2}, t.encode("ab ab", false, false), "merges apply; space is U+0120");
    }

    @Test
    void endOfTextIsDetectedAsEndOfGenerationAndBecomesControl() {
        final Vocabulary v = Tokenizer.fromGguf(metadata(tinyBpe("gpt-2"))).vocabulary();
        assertEquals(4, v.specialIds().eot());
        assertTrue(v.isEndOfGeneration(4));
        assertTrue(v.isControl(4));
        assertEquals(SpecialTokenIds.NONE, v.bos(), "the BPE default bos 11 lies outside this vocabulary");
    }

    @Test
    void ggufFlagsOverrideTheDefaults() {
        final Map<String, GgufValue> kv = tinyBpe("gpt-2");
        kv.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(0));
        kv.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(4));
        kv.put("tokenizer.ggml.add_bos_token", GgufValue.bool(true));
        kv.put("tokenizer.ggml.add_eos_token", GgufValue.bool(true));
        final Tokenizer t = Tokenizer.fromGguf(metadata(kv));
        assertArrayEquals(new int[] {0, 2, 4}, t.encode("ab", true, false));
        assertEquals("ab", t.decode(new int[] {0, 2, 4}, true), "removeSpecial drops the added BOS and EOS");
    }

    @Test
    void everyDocumentedPreTokenizerNameIsKnown() {
        for (String name : new String[] {"default", "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe",
                "qwen2", "deepseek-r1-qwen", "megrez", "stablelm2", "deepseek-llm", "deepseek-coder", "deepseek-v3",
                "falcon", "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "gpt-2",
                "phi-2", "roberta-bpe", "gigachat", "jina-es", "jina-de", "jina-v1-en", "jina-v2-es", "jina-v2-de",
                "jina-v2-code", "mpt", "olmo", "jais", "chatglm-bpe", "poro-chat", "bloom", "gpt3-finnish", "viking",
                "tekken", "chameleon"}) {
            assertTrue(PreTokenizer.forName(name).isPresent(), name);
        }
    }
}
