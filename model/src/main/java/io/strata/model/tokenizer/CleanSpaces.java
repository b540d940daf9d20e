package io.strata.model.tokenizer;

import java.util.Arrays;

/**
 * Hugging Face's {@code clean_up_tokenization_spaces} as llama.cpp applies it at the end of detokenization: three
 * in-place passes over the bytes. Reproduced pass by pass, including that pass 2 blanks the byte after a removed
 * " ' " so that the next comparison sees a NUL instead of the original space.
 */
final class CleanSpaces {
    private CleanSpaces() {
    }

    static byte[] apply(final byte[] bytes) {
        final byte[] text = bytes.clone();
        int total = removeSpaceBeforePunctuation(text, text.length);
        total = joinLoneApostrophe(text, total);
        total = joinContractions(text, total);
        return Arrays.copyOf(text, total);
    }

    /** " ?", " !", " .", " ," lose the space. */
    private static int removeSpaceBeforePunctuation(final byte[] text, final int length) {
        int total = length > 0 ? 1 : 0;
        for (int i = 1; i < length; i++) {
            final byte x = text[i];
            if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) {
                total--;
            }
            text[total++] = x;
        }
        return total;
    }

    /** " ' " becomes "'". */
    private static int joinLoneApostrophe(final byte[] text, final int length) {
        int total = length > 0 ? 1 : 0;
        for (int i = 1; i < length; i++) {
            final byte x = text[i];
            if (x == '\'' && i + 1 < length && text[i - 1] == ' ' && text[i + 1] == ' ') {
                total--;
                text[++i] = 0;
            }
            text[total++] = x;
        }
        return total;
    }

    /** " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it). */
    private static int joinContractions(final byte[] text, final int length) {
        int total = length > 0 ? 1 : 0;
        for (int i = 1; i < length; i++) {
            final byte x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < length) {
                final byte x1 = text[i + 1];
                if (x1 == 's' || x1 == 'm') {
                    total--;
                } else if (x1 != 't' && x1 != 'd' && i + 2 < length) {
                    final byte x2 = text[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) {
                        total--;
                    }
                }
            }
            text[total++] = x;
        }
        return total;
    }
}
