package io.strata.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts special tokens out of the input before the tokenizer algorithm runs (llama.cpp
 * {@code tokenizer_st_partition}). Special tokens are tried longest text first; each one splits every remaining
 * text fragment at each exact occurrence, left to right. Without {@code parseSpecial} CONTROL and UNKNOWN tokens
 * are left in the text, but USER_DEFINED tokens are still cut out (as Hugging Face tokenizers do).
 */
final class SpecialTokenPartition {
    private SpecialTokenPartition() {
    }

    /** A not yet processed range [start, end) of the input. */
    private record Span(int start, int end) {
    }

    static List<Fragment> partition(final Vocabulary vocab, final String input, final boolean parseSpecial) {
        final String text = wellFormed(input);
        List<Object> parts = new ArrayList<>();
        if (!text.isEmpty()) {
            parts.add(new Span(0, text.length()));
        }
        for (int id : vocab.specialTokensLongestFirst()) {
            final int attr = vocab.attributes(id);
            if (!parseSpecial && (attr & (TokenAttributes.CONTROL | TokenAttributes.UNKNOWN)) != 0) {
                continue;
            }
            final String token = vocab.text(id);
            if (!text.contains(token)) {
                continue; // the common case: no need to rebuild the fragment list
            }
            final List<Object> next = new ArrayList<>(parts.size() + 4);
            for (Object part : parts) {
                if (part instanceof Span span) {
                    split(text, span, token, id, attr, next);
                } else {
                    next.add(part);
                }
            }
            parts = next;
        }
        final List<Fragment> out = new ArrayList<>(parts.size());
        for (Object part : parts) {
            out.add(part instanceof Span(int start, int end)
                    ? new Fragment.Text(text.substring(start, end))
                    : (Fragment) part);
        }
        return out;
    }

    /**
     * llama.cpp receives UTF-8, so a Java string with an unpaired surrogate is first encoded the way the JDK encodes
     * it (the surrogate becomes '?'); every later step then sees the same text.
     */
    static String wellFormed(final String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isSurrogate(text.charAt(i))) {
                return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            }
        }
        return text;
    }

    /** Appends span split at every occurrence of token: [left text] [token] ... [right text]. */
    private static void split(final String text, final Span span, final String token, final int id, final int attr,
                              final List<Object> out) {
        int start = span.start();
        final int end = span.end();
        while (true) {
            final int match = text.indexOf(token, start);
            if (match < 0 || match + token.length() > end) {
                break;
            }
            int leftEnd = match;
            if ((attr & TokenAttributes.LSTRIP) != 0) {
                while (leftEnd > start && isCSpace(text.charAt(leftEnd - 1))) {
                    leftEnd--;
                }
            }
            if (leftEnd > start) {
                out.add(new Span(start, leftEnd));
            }
            out.add(new Fragment.Special(id));
            int rightStart = match + token.length();
            if (rightStart >= end) {
                return;
            }
            if ((attr & TokenAttributes.RSTRIP) != 0) {
                while (rightStart < end && isCSpace(text.charAt(rightStart))) {
                    rightStart++;
                }
                if (rightStart >= end) {
                    return;
                }
            }
            start = rightStart;
        }
        out.add(new Span(start, end));
    }

    /** C {@code isspace} in the "C" locale, which is what llama.cpp strips next to LSTRIP/RSTRIP tokens. */
    private static boolean isCSpace(final char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
