package io.strata.model.tokenizer;

import java.util.regex.Pattern;

/**
 * One step of a BPE pre-tokenizer. Each step splits every current piece into its matches and the unmatched gaps
 * between them (both kept). llama.cpp runs two regexes with hand-written matchers and all others through
 * {@code std::regex}; {@link RegexSplitter} mirrors both.
 */
sealed interface SplitRule {

    /** GPT-2's {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)} (hand-written). */
    record Gpt2() implements SplitRule {
    }

    /** Llama 3's regex with case-insensitive contractions and {@code \p{N}{1,3}} (hand-written). */
    record Llama3() implements SplitRule {
    }

    /**
     * A general regex in llama.cpp's ECMAScript source form. If it uses a Unicode category ({@code \p{L}} etc.) it
     * runs on the "collapsed" text (every non-ASCII code point replaced by one placeholder per category) with each
     * category rewritten as a class of its placeholder and its ASCII members; otherwise it runs on the code points,
     * with non-ASCII whitespace replaced by U+000B so that {@code \s} sees it.
     *
     * @param source    the regex as llama.cpp writes it
     * @param pattern   the Java equivalent
     * @param collapsed whether the pattern runs on the collapsed text
     */
    record Regex(String source, Pattern pattern, boolean collapsed) implements SplitRule {
        static Regex of(final String source) {
            final boolean collapsed = RegexTranslation.usesCategories(source);
            final String java = collapsed ? RegexTranslation.collapse(source) : RegexTranslation.anchorEnd(source);
            return new Regex(source, Pattern.compile(java), collapsed);
        }
    }
}
