package io.strata.model.tokenizer;

import io.strata.model.gguf.GgufMetadata;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A model's token list with everything the tokenizers need: texts, scores, attributes, special ids and flags,
 * loaded from GGUF metadata exactly as llama.cpp does (defaults per tokenizer model, then per pre-tokenizer, then
 * GGUF overrides, then detection of end-of-generation tokens by their text). Immutable after loading except for a
 * lazily filled piece cache; safe to share between threads.
 */
public final class Vocabulary {
    private static final String KEY_MODEL = "tokenizer.ggml.model";
    private static final String KEY_PRE = "tokenizer.ggml.pre";
    private static final String KEY_TOKENS = "tokenizer.ggml.tokens";
    private static final String KEY_SCORES = "tokenizer.ggml.scores";
    private static final String KEY_TYPES = "tokenizer.ggml.token_type";
    private static final byte[] EMPTY = new byte[0];

    private final TokenizerModel model;
    private final PreTokenizer preTokenizer;
    private final String[] texts;
    private final float[] scores;
    private final int[] attributes;
    private final Map<String, Integer> idsByText;
    private final int maxTokenLength;
    private final SpecialTokenIds specialIds;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSpacePrefix;
    private final boolean cleanSpaces;
    private final BitSet endOfGeneration;
    private final int[] specialTokensLongestFirst;
    private final String[] byteTokenTexts;
    /** token_to_piece(special = true) per id, filled on first use (racing threads compute the same bytes). */
    private final AtomicReferenceArray<byte[]> pieceCache;

    private Vocabulary(final Loader l) {
        this.model = l.model;
        this.preTokenizer = l.pre;
        this.texts = l.texts;
        this.scores = l.scores;
        this.attributes = l.attributes;
        this.idsByText = l.idsByText;
        this.maxTokenLength = l.maxTokenLength;
        this.specialIds = l.specialIds();
        this.addBos = l.addBos;
        this.addEos = l.addEos;
        this.addSpacePrefix = l.addSpacePrefix;
        this.cleanSpaces = l.cleanSpaces;
        this.endOfGeneration = l.endOfGeneration;
        this.specialTokensLongestFirst = l.specialTokensLongestFirst;
        this.byteTokenTexts = new String[256];
        for (int b = 0; b < 256; b++) {
            byteTokenTexts[b] = String.format("<0x%02X>", b);
        }
        this.pieceCache = new AtomicReferenceArray<>(texts.length);
    }

    /**
     * Loads the vocabulary described by a GGUF file's {@code tokenizer.*} metadata.
     *
     * @throws io.strata.model.ModelFormatException naming the key when the tokenizer model or pre-tokenizer is not
     *                                              supported or the token arrays are missing or inconsistent
     */
    public static Vocabulary fromGguf(final GgufMetadata md) {
        return new Vocabulary(new Loader(md));
    }

    // ---- tokens ----------------------------------------------------------------------------------------------

    public TokenizerModel model() {
        return model;
    }

    /** The {@code tokenizer.ggml.pre} name in effect ("default" when missing); null for non-BPE vocabularies. */
    public String preTokenizerName() {
        return preTokenizer == null ? null : preTokenizer.name();
    }

    PreTokenizer preTokenizer() {
        return preTokenizer;
    }

    public int size() {
        return texts.length;
    }

    public String text(final int id) {
        return texts[checkId(id)];
    }

    public float score(final int id) {
        return scores[checkId(id)];
    }

    /** The {@link TokenAttributes} bits of a token. */
    public int attributes(final int id) {
        return attributes[checkId(id)];
    }

    public boolean isControl(final int id) {
        return (attributes(id) & TokenAttributes.CONTROL) != 0;
    }

    public boolean isByte(final int id) {
        return (attributes(id) & TokenAttributes.BYTE) != 0;
    }

    public boolean isUserDefined(final int id) {
        return (attributes(id) & TokenAttributes.USER_DEFINED) != 0;
    }

    public boolean isUnknown(final int id) {
        return (attributes(id) & TokenAttributes.UNKNOWN) != 0;
    }

    public boolean isNormal(final int id) {
        return (attributes(id) & TokenAttributes.NORMAL) != 0;
    }

    /** The id of the token with exactly this text, or -1. */
    public int id(final String text) {
        final Integer id = idsByText.get(text);
        return id == null ? -1 : id;
    }

    /** Length in chars of the longest token text. */
    public int maxTokenLength() {
        return maxTokenLength;
    }

    // ---- special tokens and flags ----------------------------------------------------------------------------

    public SpecialTokenIds specialIds() {
        return specialIds;
    }

    public int bos() {
        return specialIds.bos();
    }

    public int eos() {
        return specialIds.eos();
    }

    /** BOS for an encoding with {@code addSpecial}; a vocabulary that adds BOS but has none is refused. */
    int requireBos() {
        if (bos() == SpecialTokenIds.NONE) {
            throw new IllegalStateException(this + " adds a BOS token but defines none");
        }
        return bos();
    }

    /** EOS for an encoding with {@code addSpecial}; a vocabulary that adds EOS but has none is refused. */
    int requireEos() {
        if (eos() == SpecialTokenIds.NONE) {
            throw new IllegalStateException(this + " adds an EOS token but defines none");
        }
        return eos();
    }

    /** Whether encoding with {@code addSpecial} starts with BOS. */
    public boolean addBos() {
        return addBos;
    }

    /** Whether encoding with {@code addSpecial} ends with EOS. */
    public boolean addEos() {
        return addEos;
    }

    /** SPM: a space is prepended to the text (and stripped from the first piece when detokenizing). */
    public boolean addSpacePrefix() {
        return addSpacePrefix;
    }

    /** Detokenization removes the space before {@code ? ! . ,} and some apostrophe contractions. */
    public boolean cleanSpaces() {
        return cleanSpaces;
    }

    /** Whether generating this token ends generation (EOS, EOT, EOM, FIM pad/rep/sep and end-of-turn texts). */
    public boolean isEndOfGeneration(final int id) {
        return id >= 0 && endOfGeneration.get(id);
    }

    /** All end-of-generation ids, ascending. */
    public int[] endOfGenerationIds() {
        return endOfGeneration.stream().toArray();
    }

    /** CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first (ties by id). */
    int[] specialTokensLongestFirst() {
        return specialTokensLongestFirst;
    }

    /**
     * The token for one byte in SPM byte fallback: {@code <0xNN>}, else the token whose text is that single
     * character; -1 if neither exists (llama.cpp aborts there).
     */
    int byteToken(final int b) {
        final int id = id(byteTokenTexts[b & 0xFF]);
        if (id >= 0 || (b & 0xFF) >= 0x80) {
            return id;
        }
        return id(String.valueOf((char) b));
    }

    /**
     * llama.cpp {@code token_to_piece(id, special = true)}: the bytes a token stands for. CONTROL, UNKNOWN and
     * USER_DEFINED tokens give their text; NORMAL tokens their text with U+2581 as space (SPM, WPM) or mapped back
     * through the byte-level alphabet (BPE); BYTE tokens their byte (SPM, WPM; BPE gives nothing, as llama.cpp b4747);
     * UNUSED and UNDEFINED tokens nothing. The returned array is shared: callers must not modify it.
     */
    byte[] rawPiece(final int id) {
        byte[] piece = pieceCache.get(checkId(id));
        if (piece == null) {
            piece = computePiece(id);
            pieceCache.set(id, piece);
        }
        return piece;
    }

    private byte[] computePiece(final int id) {
        final int attr = attributes[id];
        final String text = texts[id];
        if ((attr & (TokenAttributes.UNKNOWN | TokenAttributes.CONTROL | TokenAttributes.USER_DEFINED)) != 0) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        if ((attr & TokenAttributes.NORMAL) != 0) {
            return model == TokenizerModel.BPE
                    ? byteLevelDecode(text)
                    : text.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
        }
        if ((attr & TokenAttributes.BYTE) != 0 && model != TokenizerModel.BPE) {
            return new byte[] {(byte) hexByte(text)};
        }
        return EMPTY;
    }

    /** Each code point back to its byte; one outside the alphabet becomes llama.cpp's "[UNK_BYTE_0x..]" marker. */
    private static byte[] byteLevelDecode(final String text) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); ) {
            final int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            final int b = ByteLevel.byteOf(cp);
            if (b >= 0) {
                out.write(b);
                continue;
            }
            // llama.cpp writes the hex of the code point's UTF-8 bytes followed by the whole token text
            final StringBuilder marker = new StringBuilder("[UNK_BYTE_0x");
            for (byte u : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) {
                marker.append(String.format("%02x", u & 0xFF));
            }
            marker.append(text).append(']');
            out.writeBytes(marker.toString().getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    /** The byte of a {@code <0xNN>} token: strtol over the two chars after "<0x", 0 when they are not hex. */
    private static int hexByte(final String text) {
        int value = 0;
        for (int i = 3; i < Math.min(5, text.length()); i++) {
            final int digit = Character.digit(text.charAt(i), 16);
            if (digit < 0) {
                break;
            }
            value = value * 16 + digit;
        }
        return value;
    }

    private int checkId(final int id) {
        if (id < 0 || id >= texts.length) {
            throw new IllegalArgumentException("token id " + id + " is out of range [0, " + texts.length + ")");
        }
        return id;
    }

    @Override
    public String toString() {
        return "Vocabulary[" + model.ggufName() + (preTokenizer == null ? "" : "/" + preTokenizer.name())
                + ", " + texts.length + " tokens]";
    }

    // ---- loading ---------------------------------------------------------------------------------------------

    /** The loading steps of llama.cpp {@code llama_vocab::impl::load}, in its order. */
    private static final class Loader {
        private static final int BOS = 0;
        private static final int EOS = 1;
        private static final int EOT = 2;
        private static final int EOM = 3;
        private static final int UNK = 4;
        private static final int SEP = 5;
        private static final int PAD = 6;
        private static final int MASK = 7;
        private static final int FIM_PRE = 8;
        private static final int FIM_SUF = 9;
        private static final int FIM_MID = 10;
        private static final int FIM_PAD = 11;
        private static final int FIM_REP = 12;
        private static final int FIM_SEP = 13;

        /** GGUF key suffix → slot, in llama.cpp's order (the deprecated FIM names last, so they win). */
        private static final List<Map.Entry<String, Integer>> ID_KEYS = List.of(
                Map.entry("bos_token_id", BOS), Map.entry("eos_token_id", EOS), Map.entry("eot_token_id", EOT),
                Map.entry("eom_token_id", EOM), Map.entry("unknown_token_id", UNK),
                Map.entry("seperator_token_id", SEP), Map.entry("padding_token_id", PAD),
                Map.entry("mask_token_id", MASK), Map.entry("fim_pre_token_id", FIM_PRE),
                Map.entry("fim_suf_token_id", FIM_SUF), Map.entry("fim_mid_token_id", FIM_MID),
                Map.entry("fim_pad_token_id", FIM_PAD), Map.entry("fim_rep_token_id", FIM_REP),
                Map.entry("fim_sep_token_id", FIM_SEP), Map.entry("prefix_token_id", FIM_PRE),
                Map.entry("suffix_token_id", FIM_SUF), Map.entry("middle_token_id", FIM_MID));

        /** Texts that make a token the EOT token when no eot id is given (first found by ascending id). */
        private static final Set<String> EOT_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                "<|endoftext|>", "<EOT>", "<｜end▁of▁sentence｜>");
        private static final Set<String> EOM_TEXTS = Set.of("<|eom_id|>");
        private static final Set<String> FIM_PRE_TEXTS = Set.of("<|fim_prefix|>", "<fim-prefix>", "<｜fim▁begin｜>",
                "<PRE>");
        private static final Set<String> FIM_SUF_TEXTS = Set.of("<|fim_suffix|>", "<fim-suffix>", "<｜fim▁hole｜>",
                "<SUF>");
        private static final Set<String> FIM_MID_TEXTS = Set.of("<|fim_middle|>", "<fim-middle>", "<｜fim▁end｜>",
                "<MID>");
        private static final Set<String> FIM_PAD_TEXTS = Set.of("<|fim_pad|>", "<fim-pad>", "<PAD>");
        private static final Set<String> FIM_REP_TEXTS = Set.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                "<REPO>");
        private static final Set<String> FIM_SEP_TEXTS = Set.of("<|file_sep|>");
        /** Texts that always end generation (and are forced to CONTROL). */
        private static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                "<|endoftext|>", "<|eom_id|>", "<EOT>");

        private final GgufMetadata md;
        private final TokenizerModel model;
        private PreTokenizer pre;
        private final int[] ids = new int[14];
        private boolean addBos;
        private boolean addEos;
        private boolean addSpacePrefix;
        private boolean cleanSpaces;
        private String[] texts;
        private float[] scores;
        private int[] attributes;
        private Map<String, Integer> idsByText;
        private int maxTokenLength;
        private BitSet endOfGeneration;
        private int[] specialTokensLongestFirst;

        Loader(final GgufMetadata md) {
            this.md = md;
            final String modelName = md.getString(KEY_MODEL);
            this.model = TokenizerModel.fromGgufName(modelName).orElseThrow(() -> md.error(KEY_MODEL,
                    "tokenizer model '" + modelName + "' is not supported (supported: llama, gpt2, bert)"));
            applyModelDefaults();
            addSpacePrefix = md.getBool("tokenizer.ggml.add_space_prefix", addSpacePrefix);
            readTokens();
            readSpecialIds();
            addBos = md.getBool("tokenizer.ggml.add_bos_token", addBos);
            addEos = md.getBool("tokenizer.ggml.add_eos_token", addEos);
            detectSpecialTokensByText();
            collectEndOfGeneration();
            collectSpecialTokens();
            applyNamedAttributes();
        }

        SpecialTokenIds specialIds() {
            return new SpecialTokenIds(ids[BOS], ids[EOS], ids[EOT], ids[EOM], ids[UNK], ids[SEP], ids[PAD],
                    ids[MASK], ids[FIM_PRE], ids[FIM_SUF], ids[FIM_MID], ids[FIM_PAD], ids[FIM_REP], ids[FIM_SEP]);
        }

        private void applyModelDefaults() {
            Arrays.fill(ids, SpecialTokenIds.NONE);
            switch (model) {
                case SPM -> {
                    ids[BOS] = 1;
                    ids[EOS] = 2;
                    ids[UNK] = 0;
                    addSpacePrefix = true;
                    addBos = true;
                }
                case BPE -> {
                    ids[BOS] = 11;
                    ids[EOS] = 11;
                    final String preName = md.getString(KEY_PRE, "");
                    // llama.cpp warns that quality degrades and uses "default" when the key is missing or empty
                    pre = preName.isEmpty() ? PreTokenizer.defaultPreTokenizer()
                            : PreTokenizer.forName(preName).orElseThrow(() -> md.error(KEY_PRE,
                                    "unknown pre-tokenizer type '" + preName + "'"));
                    addBos = pre.addBos();
                    cleanSpaces = pre.cleanSpaces();
                    if (!pre.hasBos()) {
                        ids[BOS] = SpecialTokenIds.NONE;
                    }
                }
                case WPM -> {
                    ids[BOS] = 101; // CLS
                    ids[UNK] = 100;
                    ids[SEP] = 102;
                    ids[PAD] = 0;
                    ids[MASK] = 103;
                    cleanSpaces = true;
                    addBos = true;
                }
            }
        }

        private void readTokens() {
            texts = md.getStringArray(KEY_TOKENS);
            if (texts == null) {
                throw md.error(KEY_TOKENS, "cannot find the tokenizer vocabulary");
            }
            final int n = texts.length;
            texts = texts.clone();
            scores = md.contains(KEY_SCORES) ? md.getFloatArray(KEY_SCORES) : new float[n];
            if (scores.length < n) {
                throw md.error(KEY_SCORES, "has " + scores.length + " entries for " + n + " tokens");
            }
            final int[] types = md.getIntArray(KEY_TYPES);
            if (types != null && types.length < n) {
                throw md.error(KEY_TYPES, "has " + types.length + " entries for " + n + " tokens");
            }
            attributes = new int[n];
            idsByText = new HashMap<>(n * 4 / 3 + 16);
            for (int i = 0; i < n; i++) {
                if (texts[i].isEmpty()) {
                    texts[i] = "[EMPTY_" + i + "]";
                }
                final Integer previous = idsByText.putIfAbsent(texts[i], i);
                if (previous != null) {
                    throw md.error(KEY_TOKENS, "duplicate token '" + texts[i] + "' has ids " + previous + " and " + i);
                }
                maxTokenLength = Math.max(maxTokenLength, texts[i].length());
                attributes[i] = types == null ? TokenAttributes.NORMAL : TokenAttributes.fromTokenType(types[i]);
            }
        }

        /** Default ids outside the vocabulary are disabled; GGUF ids outside it are ignored (llama.cpp warns). */
        private void readSpecialIds() {
            final int n = texts.length;
            for (int slot = 0; slot < ids.length; slot++) {
                if (ids[slot] >= n) {
                    ids[slot] = SpecialTokenIds.NONE;
                }
            }
            for (Map.Entry<String, Integer> key : ID_KEYS) {
                readId("tokenizer.ggml." + key.getKey(), key.getValue());
            }
            if (model == TokenizerModel.WPM) {
                readId("tokenizer.ggml.cls_token_id", BOS); // BERT's first token; llama.cpp b4747 keeps it as "cls"
            }
        }

        private void readId(final String key, final int slot) {
            final long value = md.getLong(key, -1);
            if (value >= 0 && value < texts.length) {
                ids[slot] = (int) value;
            }
        }

        /** Fills eot, eom and the FIM ids from well-known token texts when the GGUF does not give them. */
        private void detectSpecialTokensByText() {
            for (int id = 0; id < texts.length; id++) {
                final String text = texts[id];
                detect(EOT, EOT_TEXTS, id, text);
                detect(EOM, EOM_TEXTS, id, text);
                detect(FIM_PRE, FIM_PRE_TEXTS, id, text);
                detect(FIM_SUF, FIM_SUF_TEXTS, id, text);
                detect(FIM_MID, FIM_MID_TEXTS, id, text);
                detect(FIM_PAD, FIM_PAD_TEXTS, id, text);
                detect(FIM_REP, FIM_REP_TEXTS, id, text);
                detect(FIM_SEP, FIM_SEP_TEXTS, id, text);
            }
        }

        // llama.cpp walks an unordered_map, so with several candidates its pick depends on hashing; we take the
        // lowest id, which is the same whenever there is only one candidate (the usual case).
        private void detect(final int slot, final Set<String> candidates, final int id, final String text) {
            if (ids[slot] == SpecialTokenIds.NONE && candidates.contains(text)) {
                ids[slot] = id;
                attributes[id] |= TokenAttributes.CONTROL;
            }
        }

        private void collectEndOfGeneration() {
            endOfGeneration = new BitSet(texts.length);
            for (int slot : new int[] {FIM_PAD, FIM_REP, FIM_SEP, EOS, EOT, EOM}) {
                if (ids[slot] != SpecialTokenIds.NONE) {
                    endOfGeneration.set(ids[slot]);
                }
            }
            for (int id = 0; id < texts.length; id++) {
                if (EOG_TEXTS.contains(texts[id])) {
                    endOfGeneration.set(id);
                    attributes[id] |= TokenAttributes.CONTROL;
                }
            }
        }

        private void collectSpecialTokens() {
            final List<Integer> special = new ArrayList<>();
            final int mask = TokenAttributes.CONTROL | TokenAttributes.USER_DEFINED | TokenAttributes.UNKNOWN;
            for (int id = 0; id < texts.length; id++) {
                if ((attributes[id] & mask) != 0) {
                    special.add(id);
                }
            }
            // llama.cpp's std::sort leaves equal lengths in an unspecified order; ties by id keep us deterministic
            special.sort(Comparator.comparingInt((Integer id) -> -texts[id].length()).thenComparingInt(id -> id));
            specialTokensLongestFirst = special.stream().mapToInt(Integer::intValue).toArray();
        }

        /** Per-model strip attributes that GGUF files do not carry (llama.cpp sets them by name). */
        private void applyNamedAttributes() {
            final String preName = md.getString(KEY_PRE, "");
            final String modelName = md.getString("general.name", "").toLowerCase(Locale.ROOT);
            if (preName.contains("jina-v2-de") || preName.contains("jina-v2-es") || preName.contains("jina-v2-code")) {
                setAttribute("<mask>", TokenAttributes.LSTRIP, true);
            } else if (modelName.contains("phi-3") || modelName.contains("phi3")) {
                for (int id : specialTokensLongestFirst) {
                    attributes[id] |= TokenAttributes.RSTRIP;
                }
                setAttribute("</s>", TokenAttributes.RSTRIP, true);
                for (String text : new String[] {"<unk>", "<s>", "<|endoftext|>"}) {
                    setAttribute(text, TokenAttributes.RSTRIP, false);
                }
            }
        }

        private void setAttribute(final String text, final int attribute, final boolean on) {
            final Integer id = idsByText.get(text);
            if (id != null) {
                attributes[id] = on ? attributes[id] | attribute : attributes[id] & ~attribute;
            }
        }
    }
}
