package io.strata.model.tokenizer;

import io.strata.model.ModelFormatException;
import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufMetadata;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Text to token ids and back, token for token as llama.cpp ({@code llama_tokenize}, {@code llama_token_to_piece},
 * {@code llama_detokenize}). One implementation per {@code tokenizer.ggml.model}; all are immutable and thread-safe.
 */
public sealed interface Tokenizer permits SpmTokenizer, BpeTokenizer, WpmTokenizer {

    /**
     * The tokenizer described by a GGUF file's metadata.
     *
     * @throws ModelFormatException naming the tokenizer model or pre-tokenizer when it is not supported
     */
    static Tokenizer fromGguf(final GgufMetadata md) {
        final Vocabulary vocab = Vocabulary.fromGguf(md);
        return switch (vocab.model()) {
            case SPM -> new SpmTokenizer(vocab);
            case BPE -> new BpeTokenizer(vocab, BpeTokenizer.readMerges(md));
            case WPM -> new WpmTokenizer(vocab);
        };
    }

    /** Opens a GGUF file just to read its tokenizer. */
    static Tokenizer fromGguf(final Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            return fromGguf(gguf.metadata());
        }
    }

    Vocabulary vocabulary();

    /**
     * Tokenizes text.
     *
     * @param addSpecial   add BOS / EOS as the vocabulary's add_bos / add_eos flags say (BERT: CLS ... SEP)
     * @param parseSpecial recognise CONTROL tokens such as {@code <|begin_of_text|>} written in the text;
     *                     USER_DEFINED tokens are recognised either way
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * The raw bytes of one token (llama.cpp {@code token_to_piece} with no space stripping). CONTROL and UNKNOWN
     * tokens give nothing unless {@code special}. A piece may end inside a UTF-8 character: stream it through a
     * {@link Utf8StreamDecoder}.
     */
    default byte[] piece(final int id, final boolean special) {
        final Vocabulary v = vocabulary();
        if (!special && (v.attributes(id) & (TokenAttributes.UNKNOWN | TokenAttributes.CONTROL)) != 0) {
            return new byte[0];
        }
        return v.rawPiece(id).clone();
    }

    /**
     * llama.cpp {@code llama_detokenize}: the pieces concatenated, with one leading space removed from the first
     * piece when the vocabulary adds a space prefix, then clean-up of spaces if the vocabulary asks for it.
     *
     * @param removeSpecial  drop a leading BOS (then no space is stripped) and a trailing EOS when the vocabulary adds
     *                       them
     * @param unparseSpecial render CONTROL and UNKNOWN tokens as their text instead of nothing
     */
    default byte[] detokenize(final int[] ids, final boolean removeSpecial, final boolean unparseSpecial) {
        final Vocabulary v = vocabulary();
        int from = 0;
        int to = ids.length;
        boolean removeSpace = v.addSpacePrefix();
        if (removeSpecial && v.addBos() && to > from && ids[from] == v.bos()) {
            removeSpace = false;
            from++;
        }
        if (removeSpecial && v.addEos() && to > from && ids[to - 1] == v.eos()) {
            to--;
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(16 * (to - from) + 16);
        for (int i = from; i < to; i++) {
            final int attr = v.attributes(ids[i]);
            final boolean hidden = !unparseSpecial
                    && (attr & (TokenAttributes.UNKNOWN | TokenAttributes.CONTROL)) != 0;
            final byte[] piece = hidden ? new byte[0] : v.rawPiece(ids[i]);
            // only the first token may lose a space, even when its piece is empty
            final int skip = removeSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            out.write(piece, skip, piece.length - skip);
            removeSpace = false;
        }
        final byte[] text = out.toByteArray();
        return v.cleanSpaces() ? CleanSpaces.apply(text) : text;
    }

    /** {@link #detokenize} as a string, with CONTROL and UNKNOWN tokens rendered as nothing. */
    default String decode(final int[] ids, final boolean removeSpecial) {
        return new String(detokenize(ids, removeSpecial, false), StandardCharsets.UTF_8);
    }
}
