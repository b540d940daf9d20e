package io.strata.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;

/**
 * Splits text into the words that BPE then encodes one by one (llama.cpp {@code unicode_regex_split}). The text is
 * handled as code points; the current split is a list of piece lengths, starting with the whole text, and each
 * {@link SplitRule} refines every piece separately (a rule never sees across piece boundaries: lookaheads stop and
 * {@code $} matches at the end of a piece).
 */
final class RegexSplitter {
    private static final int NO_CODE_POINT = -1;

    private final int[] cps;
    private final int[] flags;
    /** Built on first use: the collapsed text and the code point text (char index = code point index or mapped). */
    private String collapsedText;
    private String wideText;
    private int[] charOfCp;
    private int[] cpOfChar;

    private RegexSplitter(final String text) {
        this.cps = text.codePoints().toArray();
        this.flags = new int[cps.length];
        for (int i = 0; i < cps.length; i++) {
            flags[i] = Unicode.flags(cps[i]);
        }
    }

    /** The words of {@code text} under {@code rules}, in order; their concatenation is the text. */
    static List<String> split(final String text, final List<SplitRule> rules) {
        final RegexSplitter s = new RegexSplitter(text);
        IntList pieces = new IntList(1);
        pieces.add(s.cps.length);
        for (SplitRule rule : rules) {
            final IntList refined = new IntList(pieces.size() * 2);
            int start = 0;
            for (int i = 0; i < pieces.size(); i++) {
                final int end = start + pieces.get(i);
                switch (rule) {
                    case SplitRule.Gpt2 g -> s.gpt2(start, end, refined);
                    case SplitRule.Llama3 l -> s.llama3(start, end, refined);
                    case SplitRule.Regex r -> s.regex(r, start, end, refined);
                }
                start = end;
            }
            pieces = refined;
        }
        final List<String> words = new ArrayList<>(pieces.size());
        int start = 0;
        for (int i = 0; i < pieces.size(); i++) {
            words.add(new String(s.cps, start, pieces.get(i)));
            start += pieces.get(i);
        }
        return words;
    }

    // ---- general regexes -------------------------------------------------------------------------------------

    /** Matches and the gaps between them become pieces; a zero-length match adds nothing (it would be an empty word). */
    private void regex(final SplitRule.Regex rule, final int start, final int end, final IntList out) {
        final String subject = rule.collapsed() ? collapsedText() : wideText();
        final boolean mapped = !rule.collapsed() && cpOfChar != null;
        final Matcher m = rule.pattern().matcher(subject);
        m.region(mapped ? charOfCp[start] : start, mapped ? charOfCp[end] : end);
        int previousEnd = start;
        while (m.find()) {
            final int matchStart = mapped ? cpOfChar[m.start()] : m.start();
            final int matchEnd = mapped ? cpOfChar[m.end()] : m.end();
            if (matchEnd == matchStart) {
                continue;
            }
            if (matchStart > previousEnd) {
                out.add(matchStart - previousEnd);
            }
            out.add(matchEnd - matchStart);
            previousEnd = matchEnd;
        }
        if (previousEnd < end) {
            out.add(end - previousEnd);
        }
    }

    private String collapsedText() {
        if (collapsedText == null) {
            final char[] chars = new char[cps.length];
            for (int i = 0; i < cps.length; i++) {
                chars[i] = RegexTranslation.collapsedChar(cps[i], flags[i]);
            }
            collapsedText = new String(chars);
        }
        return collapsedText;
    }

    /** The code points with non-ASCII whitespace as U+000B; index maps only exist if a code point needs two chars. */
    private String wideText() {
        if (wideText == null) {
            final StringBuilder sb = new StringBuilder(cps.length);
            for (int i = 0; i < cps.length; i++) {
                final boolean otherSpace = cps[i] > 0x7F && Unicode.is(flags[i], Unicode.WHITESPACE);
                sb.appendCodePoint(otherSpace ? RegexTranslation.COLLAPSED_WHITESPACE : cps[i]);
            }
            wideText = sb.toString();
            if (wideText.length() != cps.length) {
                charOfCp = new int[cps.length + 1];
                cpOfChar = new int[wideText.length() + 1];
                int c = 0;
                for (int i = 0; i < cps.length; i++) {
                    charOfCp[i] = c;
                    cpOfChar[c] = i;
                    c += Character.charCount(cps[i]);
                    cpOfChar[c - 1] = i; // a position inside a pair never starts or ends a match
                }
                charOfCp[cps.length] = c;
                cpOfChar[c] = cps.length;
            }
        }
        return wideText;
    }

    // ---- hand-written matchers (llama.cpp unicode_regex_split_custom_gpt2 / _llama3) --------------------------

    /** The tokens of one piece [start, end), emitted as lengths; positions outside the piece read as nothing. */
    private final class Cursor {
        private final int start;
        private final int end;
        private final IntList out;
        private int previousEnd;

        Cursor(final int start, final int end, final IntList out) {
            this.start = start;
            this.end = end;
            this.out = out;
            this.previousEnd = start;
        }

        int cp(final int pos) {
            return pos >= start && pos < end ? cps[pos] : NO_CODE_POINT;
        }

        int flags(final int pos) {
            return pos >= start && pos < end ? RegexSplitter.this.flags[pos] : Unicode.OUT_OF_RANGE;
        }

        /** Ends the current token at {@code tokenEnd} (empty tokens are dropped); returns its length. */
        int emit(final int tokenEnd) {
            final int length = tokenEnd - previousEnd;
            if (length > 0) {
                out.add(length);
            }
            previousEnd = tokenEnd;
            return length;
        }

        /** 's 't 'm 'd 're 've 'll at pos (optionally case-insensitive); returns its length or 0. */
        int contraction(final int pos, final boolean ignoreCase) {
            if (cp(pos) != '\'' || pos + 1 >= end) {
                return 0;
            }
            final int c1 = ignoreCase ? Unicode.toLower(cp(pos + 1)) : cp(pos + 1);
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                return 2;
            }
            if (pos + 2 < end) {
                final int c2 = ignoreCase ? Unicode.toLower(cp(pos + 2)) : cp(pos + 2);
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                    return 3;
                }
            }
            return 0;
        }

        int whitespaceRun(final int pos) {
            int n = 0;
            while (Unicode.is(flags(pos + n), Unicode.WHITESPACE)) {
                n++;
            }
            return n;
        }
    }

    private static boolean isWordOrSpace(final int flags) {
        return (flags & (Unicode.WHITESPACE | Unicode.LETTER | Unicode.NUMBER)) != 0;
    }

    /** {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}. */
    private void gpt2(final int start, final int end, final IntList out) {
        final Cursor c = new Cursor(start, end, out);
        int pos = start;
        while (pos < end) {
            final int cp = c.cp(pos);
            final int contraction = c.contraction(pos, false);
            if (contraction > 0) {
                pos += c.emit(pos + contraction);
                continue;
            }
            final int spaceSkip = cp == ' ' ? 1 : 0;
            int f = c.flags(pos + spaceSkip);
            if (Unicode.is(f, Unicode.LETTER) || Unicode.is(f, Unicode.NUMBER)) { // <space>?\p{L}+ or <space>?\p{N}+
                final int category = Unicode.is(f, Unicode.LETTER) ? Unicode.LETTER : Unicode.NUMBER;
                pos += spaceSkip;
                while (Unicode.is(f, category)) {
                    f = c.flags(++pos);
                }
                c.emit(pos);
                continue;
            }
            if (!isWordOrSpace(f) && f != Unicode.OUT_OF_RANGE) { // <space>?[^\s\p{L}\p{N}]+
                pos += spaceSkip;
                while (!isWordOrSpace(f) && f != Unicode.OUT_OF_RANGE) {
                    f = c.flags(++pos);
                }
                c.emit(pos);
                continue;
            }
            final int spaces = c.whitespaceRun(pos);
            if (spaces > 1 && c.cp(pos + spaces) != NO_CODE_POINT) { // \s+(?!\S): leave one space for the next word
                pos += spaces - 1;
                c.emit(pos);
                continue;
            }
            if (spaces > 0) { // \s+
                pos += spaces;
                c.emit(pos);
                continue;
            }
            c.emit(++pos); // no rule matches: a one code point piece
        }
    }

    /**
     * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+
     * |\s+(?!\S)|\s+}.
     */
    private void llama3(final int start, final int end, final IntList out) {
        final Cursor c = new Cursor(start, end, out);
        int pos = start;
        while (pos < end) {
            final int cp = c.cp(pos);
            final int f = c.flags(pos);
            final int contraction = c.contraction(pos, true);
            if (contraction > 0) {
                pos += c.emit(pos + contraction);
                continue;
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (!(cp == '\r' || cp == '\n' || Unicode.is(f, Unicode.NUMBER))
                    && (Unicode.is(f, Unicode.LETTER) || Unicode.is(c.flags(pos + 1), Unicode.LETTER))) {
                pos++;
                while (Unicode.is(c.flags(pos), Unicode.LETTER)) {
                    pos++;
                }
                c.emit(pos);
                continue;
            }
            if (Unicode.is(f, Unicode.NUMBER)) { // \p{N}{1,3}, repeatedly
                int groupStart = pos;
                while (Unicode.is(c.flags(pos), Unicode.NUMBER)) {
                    if (++pos - groupStart >= 3) {
                        c.emit(pos);
                        groupStart = pos;
                    }
                }
                c.emit(pos);
                continue;
            }
            // <space>?[^\s\p{L}\p{N}]+[\r\n]*
            int f2 = cp == ' ' ? c.flags(pos + 1) : f;
            if (!isWordOrSpace(f2) && f != Unicode.OUT_OF_RANGE) {
                pos += cp == ' ' ? 1 : 0;
                while (!isWordOrSpace(f2) && f2 != Unicode.OUT_OF_RANGE) {
                    f2 = c.flags(++pos);
                }
                while (c.cp(pos) == '\r' || c.cp(pos) == '\n') {
                    pos++;
                }
                c.emit(pos);
                continue;
            }
            int spaces = 0;
            int afterLastNewline = 0;
            while (Unicode.is(c.flags(pos + spaces), Unicode.WHITESPACE)) {
                final int w = c.cp(pos + spaces);
                if (w == '\r' || w == '\n') {
                    afterLastNewline = pos + spaces + 1;
                }
                spaces++;
            }
            if (afterLastNewline > 0) { // \s*[\r\n]+
                pos = afterLastNewline;
                c.emit(pos);
                continue;
            }
            if (spaces > 1 && c.cp(pos + spaces) != NO_CODE_POINT) { // \s+(?!\S)
                pos += spaces - 1;
                c.emit(pos);
                continue;
            }
            if (spaces > 0) { // \s+
                pos += spaces;
                c.emit(pos);
                continue;
            }
            c.emit(++pos);
        }
    }
}
