package io.strata.model.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code tokenizer.ggml.model = bert}: WordPiece as llama.cpp implements it. Text is normalized (each code point
 * replaced by the first code point of its NFD form, lowercased, controls dropped), split at whitespace and around
 * punctuation, ASCII symbols and CJK ideographs; each word, prefixed with U+2581, is covered by greedy longest-match
 * tokens, or becomes UNK as a whole when some position matches nothing.
 */
public final class WpmTokenizer implements Tokenizer {
    private static final String WORD_START = "\u2581";

    private final Vocabulary vocab;

    WpmTokenizer(final Vocabulary vocab) {
        this.vocab = vocab;
    }

    @Override
    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public int[] encode(final String text, final boolean addSpecial, final boolean parseSpecial) {
        final IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial) {
            out.add(vocab.requireBos()); // CLS
        }
        for (Fragment fragment : SpecialTokenPartition.partition(vocab, text, parseSpecial)) {
            switch (fragment) {
                case Fragment.Text(String raw) -> {
                    for (String word : words(raw)) {
                        encodeWord(WORD_START + word, out);
                    }
                }
                case Fragment.Special(int id) -> out.add(id);
            }
        }
        if (addSpecial) {
            final int sep = vocab.specialIds().sep();
            if (sep == SpecialTokenIds.NONE) {
                throw new IllegalStateException(vocab + " has no SEP token to end the sequence");
            }
            out.add(sep);
        }
        return out.toArray();
    }

    private void encodeWord(final String word, final IntList out) {
        final int mark = out.size();
        final int n = word.length();
        for (int i = 0; i < n; i++) {
            boolean matched = false;
            for (int j = Math.min(n, i + vocab.maxTokenLength() + 1); j > i; j--) {
                final int id = vocab.id(word.substring(i, j));
                if (id >= 0) {
                    out.add(id);
                    matched = true;
                    i = j - 1;
                    break;
                }
            }
            if (!matched) {
                out.truncate(mark); // the whole word becomes UNK
                break;
            }
        }
        final int unk = vocab.specialIds().unk();
        if (out.size() == mark && unk != SpecialTokenIds.NONE) {
            out.add(unk);
        }
    }

    /** Normalized words (llama.cpp {@code llm_tokenizer_wpm_session::preprocess}); never empty strings. */
    static List<String> words(final String text) {
        final List<String> words = new ArrayList<>();
        final StringBuilder word = new StringBuilder();
        for (int i = 0; i < text.length(); ) {
            final int original = text.codePointAt(i);
            i += Character.charCount(original);
            final int cp = Unicode.nfdFirst(original);
            final int flags = Unicode.flags(cp);
            if (Unicode.is(flags, Unicode.WHITESPACE)) {
                flush(word, words);
                continue;
            }
            if (cp == 0 || cp == 0xFFFD || Unicode.is(flags, Unicode.CONTROL)) {
                continue;
            }
            final int lower = Unicode.toLower(cp);
            if (Unicode.is(flags, Unicode.PUNCTUATION) || (cp < 0x7F && Unicode.is(flags, Unicode.SYMBOL))
                    || isChineseChar(cp)) {
                flush(word, words);
                words.add(Character.toString(lower)); // a word of its own
            } else {
                word.appendCodePoint(lower);
            }
        }
        flush(word, words);
        return words;
    }

    private static void flush(final StringBuilder word, final List<String> words) {
        if (!word.isEmpty()) {
            words.add(word.toString());
            word.setLength(0);
        }
    }

    /** CJK ideograph blocks as in BERT (with the Hugging Face upper bound 0x2B920 for Extension E's start). */
    private static boolean isChineseChar(final int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
