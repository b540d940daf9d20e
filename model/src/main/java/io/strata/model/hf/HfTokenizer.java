package io.strata.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.model.ModelFormatException;
import io.strata.model.gguf.GgufArray;
import io.strata.model.gguf.GgufValue;
import io.strata.model.gguf.GgufValueType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A Hugging Face fast tokenizer ({@code tokenizer.json} with {@code tokenizer_config.json}) written as the
 * {@code tokenizer.*} GGUF keys llama.cpp's converter produces, so that the engine's own tokenizers run it:
 * <ul>
 *   <li>a BPE model with {@code byte_fallback} (Llama 2, Mistral, TinyLlama, SentencePiece conversions) becomes
 *       {@code tokenizer.ggml.model = llama}: tokens in id order, {@code <0xNN>} tokens BYTE, the unknown token
 *       UNKNOWN, special tokens CONTROL. SentencePiece merges adjacent symbols by the score of the token they form
 *       where HF BPE uses the rank of the merge; each token's score is minus the rank of the first merge that forms
 *       it, so both pick the same merge. (llama.cpp's {@code LlamaHfVocab} writes -1000 for every token, which
 *       loses the merge order; we do not copy that.) A normalizer or Metaspace pre-tokenizer that prepends U+2581
 *       sets {@code add_space_prefix};</li>
 *   <li>a byte-level BPE model (Llama 3, Qwen2, GPT-2) becomes {@code tokenizer.ggml.model = gpt2} with its merges
 *       and the pre-tokenizer whose split regex it uses ({@code llama-bpe}, {@code qwen2}, {@code gpt-2}).
 *       llama.cpp recognises pre-tokenizers by hashing sample output; we compare the regex, and refuse one we do
 *       not know rather than tokenize differently.</li>
 * </ul>
 * As in llama.cpp, other normalizers (Qwen2's NFC) are not applied. Ids missing from the tokenizer up to the model's
 * vocabulary size become {@code [PADn]} UNUSED tokens. BOS/EOS/UNK/PAD come from tokenizer_config.json, else
 * config.json, else generation_config.json; {@code add_bos_token}/{@code add_eos_token} and the chat template
 * (also a {@code chat_template.jinja} file) from tokenizer_config.json.
 */
final class HfTokenizer {
    private static final int NORMAL = 1;
    private static final int UNKNOWN = 2;
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;
    private static final int UNUSED = 5;
    private static final int BYTE = 6;
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final String SPACE_MARK = "\u2581";

    /** Split regexes as tokenizer.json spells them, and the llama.cpp pre-tokenizer that implements each. */
    private static final Map<String, String> PRE_TOKENIZERS = Map.of(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "llama-bpe",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "qwen2");

    private HfTokenizer() {
    }

    /** Adds the tokenizer keys for the directory's tokenizer to {@code md}. */
    static void writeMetadata(final Path dir, final int vocabSize, final Map<String, GgufValue> md) {
        final Path file = dir.resolve("tokenizer.json");
        if (!Files.exists(file)) {
            throw new ModelFormatException(file, "file", ModelFormatException.NO_OFFSET, "file not found: a Hugging Face"
                    + " model directory needs its fast tokenizer (tokenizer.json); a tokenizer.model alone is not supported");
        }
        final JsonNode json = HfJson.read(file);
        final HfJson.Fields tj = new HfJson.Fields(file, json);
        final JsonNode model = tj.get("model");
        if (model == null || !model.isObject()) {
            throw tj.error("model", "required object is missing");
        }
        final HfJson.Fields m = new HfJson.Fields(file, model);
        final String type = m.string("type", "BPE");
        if (!type.equals("BPE")) {
            throw m.error("model.type", "tokenizer model '" + type + "' is not supported (supported: BPE, with"
                    + " byte_fallback as in Llama 2, or byte-level as in Llama 3 and Qwen2)");
        }
        final JsonNode vocabNode = m.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) {
            throw m.error("model.vocab", "required object is missing");
        }
        final Path configFile = dir.resolve("tokenizer_config.json");
        final HfJson.Fields config = new HfJson.Fields(configFile,
                HfJson.readOptional(configFile).orElse(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()));

        // every token by id: the model's vocabulary, then added tokens (which may repeat or extend it)
        final Map<Integer, String> texts = new HashMap<>();
        final Map<String, Integer> ids = new HashMap<>();
        int maxId = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> e = it.next();
            final int id = tokenId(m, "model.vocab '" + e.getKey() + "'", e.getValue());
            put(m, texts, ids, id, e.getKey());
            maxId = Math.max(maxId, id);
        }
        final Map<Integer, Boolean> added = new HashMap<>(); // id -> special
        final JsonNode addedNode = tj.get("added_tokens");
        if (addedNode != null) {
            for (JsonNode a : addedNode) {
                final HfJson.Fields af = new HfJson.Fields(file, a);
                final int id = tokenId(af, "added_tokens id", af.get("id"));
                final String content = af.string("content", null);
                if (content == null) {
                    throw af.error("added_tokens content", "missing for id " + id);
                }
                if (!content.equals(texts.get(id))) {
                    put(af, texts, ids, id, content);
                }
                added.put(id, af.bool("special", false));
                maxId = Math.max(maxId, id);
            }
        }
        final int n = Math.max(vocabSize, maxId + 1);
        final boolean byteFallback = m.bool("byte_fallback", false);
        final Map<String, Integer> specials = specialTokens(dir, config, ids);
        final String[] tokens = new String[n];
        final int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            final String t = texts.get(i);
            if (t == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
                continue;
            }
            tokens[i] = t;
            final Boolean special = added.get(i);
            if (byteFallback && BYTE_TOKEN.matcher(t).matches()) {
                types[i] = BYTE;
            } else if (byteFallback && i == specials.getOrDefault("unk", -1)) {
                types[i] = UNKNOWN;
            } else if (special != null) {
                types[i] = special || looksSpecial(t) || specials.containsValue(i) ? CONTROL : USER_DEFINED;
                if (types[i] == USER_DEFINED && byteFallback) {
                    tokens[i] = t.replace(SPACE_MARK, " "); // as llama.cpp pre-normalizes user-defined spaces
                }
            } else {
                types[i] = specials.containsValue(i) ? CONTROL : NORMAL;
            }
        }
        final String[] merges = merges(m);
        if (byteFallback) {
            md.put("tokenizer.ggml.model", GgufValue.of("llama"));
            md.put("tokenizer.ggml.tokens", GgufValue.array(new GgufArray(GgufValueType.STRING, tokens)));
            md.put("tokenizer.ggml.scores", GgufValue.array(new GgufArray(GgufValueType.FLOAT32, scores(tokens, types, ids, merges))));
            md.put("tokenizer.ggml.token_type", GgufValue.array(new GgufArray(GgufValueType.INT32, types)));
        } else {
            md.put("tokenizer.ggml.model", GgufValue.of("gpt2"));
            md.put("tokenizer.ggml.pre", GgufValue.of(preTokenizer(tj)));
            md.put("tokenizer.ggml.tokens", GgufValue.array(new GgufArray(GgufValueType.STRING, tokens)));
            md.put("tokenizer.ggml.token_type", GgufValue.array(new GgufArray(GgufValueType.INT32, types)));
            md.put("tokenizer.ggml.merges", GgufValue.array(new GgufArray(GgufValueType.STRING, merges)));
        }
        for (Map.Entry<String, String> slot : Map.of("bos", "bos_token_id", "eos", "eos_token_id",
                "unk", "unknown_token_id", "pad", "padding_token_id").entrySet()) {
            final Integer id = specials.get(slot.getKey());
            if (id != null && id >= 0 && id < n) {
                md.put("tokenizer.ggml." + slot.getValue(), GgufValue.uint32(id));
            }
        }
        if (config.has("add_bos_token")) {
            md.put("tokenizer.ggml.add_bos_token", GgufValue.bool(config.bool("add_bos_token", true)));
        }
        if (config.has("add_eos_token")) {
            md.put("tokenizer.ggml.add_eos_token", GgufValue.bool(config.bool("add_eos_token", false)));
        }
        if (byteFallback && !prependsSpace(tj)) {
            md.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(false));
        }
        chatTemplates(dir, config, md);
    }

    private static int tokenId(final HfJson.Fields f, final String what, final JsonNode v) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0 || v.intValue() > (1 << 24)) {
            throw f.error(what, "token id must be an integer from 0 to " + (1 << 24) + ", found " + (v == null ? "nothing" : HfJson.shown(v)));
        }
        return v.intValue();
    }

    private static void put(final HfJson.Fields f, final Map<Integer, String> texts, final Map<String, Integer> ids,
                            final int id, final String text) {
        final String previous = texts.put(id, text);
        if (previous != null && !previous.equals(text)) {
            throw f.error("vocab", "id " + id + " is both '" + previous + "' and '" + text + "'");
        }
        final Integer other = ids.putIfAbsent(text, id);
        if (other != null && other != id) {
            throw f.error("vocab", "token '" + text + "' has ids " + other + " and " + id);
        }
    }

    /** Special token ids by slot (bos, eos, unk, pad): tokenizer_config.json, else config.json, else generation_config.json. */
    private static Map<String, Integer> specialTokens(final Path dir, final HfJson.Fields config, final Map<String, Integer> ids) {
        final Map<String, Integer> out = new HashMap<>();
        for (String slot : List.of("bos", "eos", "unk", "pad")) {
            final JsonNode v = config.get(slot + "_token");
            final String text = v == null ? null : v.isTextual() ? v.textValue() : v.isObject() && v.path("content").isTextual()
                    ? v.path("content").textValue() : null;
            if (text != null && ids.containsKey(text)) {
                out.put(slot, ids.get(text));
            }
        }
        for (String name : List.of("config.json", "generation_config.json")) {
            final Optional<JsonNode> json = HfJson.readOptional(dir.resolve(name));
            if (json.isEmpty()) {
                continue;
            }
            for (String slot : List.of("bos", "eos", "pad")) {
                JsonNode v = json.get().get(slot + "_token_id");
                if (v != null && v.isArray() && !v.isEmpty()) {
                    v = v.get(0); // several EOS ids: the first is the EOS, the others are found by their text
                }
                if (!out.containsKey(slot) && v != null && v.isIntegralNumber() && v.canConvertToInt() && v.intValue() >= 0) {
                    out.put(slot, v.intValue());
                }
            }
        }
        return out;
    }

    /** llama.cpp's {@code does_token_look_special}. */
    private static boolean looksSpecial(final String t) {
        return t.startsWith("<|") && t.endsWith("|>") && t.length() > 4
                || List.of("<pad>", "<mask>", "<2mass>", "[@BOS@]").contains(t)
                || t.startsWith("<｜") && t.endsWith("｜>");
    }

    private static String[] merges(final HfJson.Fields m) {
        final JsonNode node = m.get("merges");
        if (node == null) {
            return new String[0];
        }
        if (!node.isArray()) {
            throw m.error("model.merges", "must be an array");
        }
        final String[] out = new String[node.size()];
        for (int i = 0; i < out.length; i++) {
            final JsonNode e = node.get(i);
            if (e.isTextual()) {
                out[i] = e.textValue();
            } else if (e.isArray() && e.size() == 2 && e.get(0).isTextual() && e.get(1).isTextual()) {
                out[i] = e.get(0).textValue() + " " + e.get(1).textValue(); // the newer [a, b] form
            } else {
                throw m.error("model.merges", "entry " + i + " must be \"a b\" or [\"a\", \"b\"], found " + HfJson.shown(e));
            }
        }
        return out;
    }

    /**
     * SentencePiece scores from the merge ranks: the token formed by merge r scores -r (its first merge counts);
     * other normal tokens score below every merge so SentencePiece forms them last; special and byte tokens 0.
     */
    private static float[] scores(final String[] tokens, final int[] types, final Map<String, Integer> ids, final String[] merges) {
        final float[] scores = new float[tokens.length];
        final boolean[] set = new boolean[tokens.length];
        for (int r = 0; r < merges.length; r++) {
            final int space = merges[r].indexOf(' ');
            if (space < 0) {
                continue;
            }
            final Integer id = ids.get(merges[r].substring(0, space) + merges[r].substring(space + 1));
            if (id != null && id < tokens.length && !set[id]) {
                scores[id] = -r;
                set[id] = true;
            }
        }
        for (int i = 0; i < tokens.length; i++) {
            if (!set[i] && types[i] == NORMAL && tokens[i].codePointCount(0, tokens[i].length()) > 1) {
                scores[i] = -(merges.length + i);
            }
        }
        return scores;
    }

    /** Whether the normalizer or the Metaspace pre-tokenizer prepends U+2581 (SentencePiece's add_dummy_prefix). */
    private static boolean prependsSpace(final HfJson.Fields tj) {
        return anyNode(tj.get("normalizer"), n -> "Prepend".equals(n.path("type").asText()) && SPACE_MARK.equals(n.path("prepend").asText()))
                || anyNode(tj.get("pre_tokenizer"), n -> "Metaspace".equals(n.path("type").asText())
                        && (n.path("add_prefix_space").asBoolean(false)
                        || List.of("always", "first").contains(n.path("prepend_scheme").asText(""))));
    }

    private static String preTokenizer(final HfJson.Fields tj) {
        final JsonNode pre = tj.get("pre_tokenizer");
        final List<String> regexes = new ArrayList<>();
        final boolean[] byteLevelRegex = {false};
        anyNode(pre, n -> {
            if ("Split".equals(n.path("type").asText()) && n.path("pattern").path("Regex").isTextual()) {
                regexes.add(n.path("pattern").path("Regex").textValue());
            }
            if ("ByteLevel".equals(n.path("type").asText()) && n.path("use_regex").asBoolean(true)) {
                byteLevelRegex[0] = true;
            }
            return false;
        });
        if (regexes.size() == 1 && PRE_TOKENIZERS.containsKey(regexes.get(0)) && !byteLevelRegex[0]) {
            return PRE_TOKENIZERS.get(regexes.get(0));
        }
        if (regexes.isEmpty() && byteLevelRegex[0]) {
            return "gpt-2";
        }
        throw tj.error("pre_tokenizer", "byte-level pre-tokenizer " + (pre == null ? "(none)" : HfJson.shown(pre))
                + " is not one Strata knows (supported: the split regexes of Llama 3 and Qwen2, and GPT-2's ByteLevel)");
    }

    /** True if {@code test} holds for the node or any node of a Sequence inside it. */
    private static boolean anyNode(final JsonNode node, final java.util.function.Predicate<JsonNode> test) {
        if (node == null || node.isNull()) {
            return false;
        }
        if (test.test(node)) {
            return true;
        }
        for (String list : List.of("normalizers", "pretokenizers")) {
            for (JsonNode child : node.path(list)) {
                if (anyNode(child, test)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** tokenizer_config.json's chat_template (a string, or named templates), else chat_template.jinja. */
    private static void chatTemplates(final Path dir, final HfJson.Fields config, final Map<String, GgufValue> md) {
        final JsonNode t = config.get("chat_template");
        if (t != null && t.isTextual()) {
            md.put("tokenizer.chat_template", GgufValue.of(t.textValue()));
        } else if (t != null && t.isArray()) {
            for (JsonNode named : t) {
                final String name = named.path("name").asText("");
                final JsonNode body = named.get("template");
                if (body == null || !body.isTextual() || name.isEmpty()) {
                    throw config.error("chat_template", "named templates need a name and a template string");
                }
                md.put(name.equals("default") ? "tokenizer.chat_template" : "tokenizer.chat_template." + name,
                        GgufValue.of(body.textValue()));
            }
        } else if (t != null) {
            throw config.error("chat_template", "must be a string or a list of named templates");
        } else {
            final Path jinja = dir.resolve("chat_template.jinja");
            if (Files.isRegularFile(jinja)) {
                try {
                    if (Files.size(jinja) > HfJson.MAX_BYTES) {
                        throw new ModelFormatException(jinja, "file", ModelFormatException.NO_OFFSET, "is too large for a chat template");
                    }
                    md.put("tokenizer.chat_template", GgufValue.of(Files.readString(jinja, StandardCharsets.UTF_8)));
                } catch (IOException e) {
                    throw new ModelFormatException(jinja, "file", ModelFormatException.NO_OFFSET, "cannot read: " + e.getMessage());
                }
            }
        }
    }
}
