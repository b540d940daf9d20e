package io.strata.model.tokenizer;

import java.util.Map;

/**
 * Turns llama.cpp's pre-tokenizer regexes (ECMAScript, as given to {@code std::regex}) into Java patterns with the
 * same matches.
 *
 * <p>Regexes with Unicode categories are evaluated by llama.cpp on a "collapsed" copy of the text in which every
 * code point below 128 stays as is and every other one becomes one byte per category (whitespace 0x0B, number
 * 0xD1, letter 0xD2, punctuation 0xD3, mark 0xD4, symbol 0xD5, anything else 0xD0). Each {@code \p{X}} in the regex
 * becomes a class of that placeholder plus the category's ASCII members. We do the same, with the placeholder
 * bytes as the chars U+00D0..U+00D5.
 */
final class RegexTranslation {
    static final char COLLAPSED_OTHER = '\u00D0';
    static final char COLLAPSED_WHITESPACE = '\u000B';

    /** Category name → placeholder char followed by the ASCII members of the category, as class content. */
    private static final Map<String, String> CATEGORY_CLASS = Map.of(
            "\\p{N}", "\u00D1" + "0-9",
            "\\p{L}", "\u00D2" + "A-Za-z",
            "\\p{P}", "\u00D3" + "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}",
            "\\p{M}", "\u00D4", // no marks below 128
            "\\p{S}", "\u00D5" + "\\$\\+<->^`\\|",
            "\\p{Lu}", "\u00D2" + "A-Za-z",
            "\\p{Ll}", "\u00D2" + "A-Za-z",
            "\\p{Lt}", "\u00D2" + "A-Za-z",
            "\\p{Lm}", "\u00D2" + "A-Za-z",
            "\\p{Lo}", "\u00D2" + "A-Za-z");

    private RegexTranslation() {
    }

    static boolean usesCategories(final String source) {
        for (String category : CATEGORY_CLASS.keySet()) {
            if (source.contains(category)) {
                return true;
            }
        }
        return false;
    }

    /** The placeholder of a code point in the collapsed text. */
    static char collapsedChar(final int cp, final int flags) {
        if (cp < 128) {
            return (char) cp;
        }
        if (Unicode.is(flags, Unicode.WHITESPACE)) {
            return COLLAPSED_WHITESPACE;
        }
        return switch (Unicode.category(flags)) {
            case Unicode.NUMBER -> '\u00D1';
            case Unicode.LETTER -> '\u00D2';
            case Unicode.PUNCTUATION -> '\u00D3';
            case Unicode.MARK -> '\u00D4';
            case Unicode.SYMBOL -> '\u00D5';
            default -> COLLAPSED_OTHER;
        };
    }

    /**
     * Rewrites every {@code \p{X}} as its collapsed class: inside a bracket expression only the class content is
     * inserted, outside it is wrapped in brackets (llama.cpp tracks "inside" the same way, by unescaped brackets).
     */
    static String collapse(final String source) {
        final StringBuilder out = new StringBuilder(source.length() + 32);
        boolean inside = false;
        for (int i = 0; i < source.length(); i++) {
            final char c = source.charAt(i);
            if (c == '[' && (i == 0 || source.charAt(i - 1) != '\\')) {
                out.append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && source.charAt(i - 1) != '\\') {
                out.append(']');
                inside = false;
                continue;
            }
            if (c == '\\' && i + 3 < source.length() && source.charAt(i + 1) == 'p' && source.charAt(i + 2) == '{') {
                final int close = source.indexOf('}', i + 3);
                final String content = close < 0 ? null : CATEGORY_CLASS.get(source.substring(i, close + 1));
                if (content != null) {
                    out.append(inside ? content : "[" + content + "]");
                    i = close;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    /**
     * ECMAScript {@code $} (no multiline) matches only at the end of the input, Java's also before a final line
     * terminator; {@code \z} is the exact equivalent. Only {@code $} outside brackets and not escaped is an anchor.
     */
    static String anchorEnd(final String source) {
        final StringBuilder out = new StringBuilder(source.length() + 4);
        boolean inside = false;
        for (int i = 0; i < source.length(); i++) {
            final char c = source.charAt(i);
            if (c == '\\' && i + 1 < source.length()) {
                out.append(c).append(source.charAt(++i));
                continue;
            }
            if (c == '[') {
                inside = true;
            } else if (c == ']') {
                inside = false;
            }
            out.append(!inside && c == '$' ? "\\z" : String.valueOf(c));
        }
        return out.toString();
    }
}
