package io.strata.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The pre-tokenizer machinery. llama.cpp's hand-written GPT-2 and Llama 3 matchers are optimisations of their
 * regexes, so running those regexes through the general path (collapsed categories, per-piece regions) must give
 * the same words; that cross-checks the regex translation on every test string and on extra edge cases.
 */
class RegexSplitterTest {
    private static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    private static final String LLAMA3_REGEX = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static List<String> samples() throws IOException {
        final List<String> samples = new ArrayList<>(
                TokenizerVectorsTest.readInputs(SharedFiles.require("models/vocab/ggml-vocab-llama-bpe.gguf.inp")));
        samples.addAll(List.of("  \tb", "a\u00A0\u00A0b", "x\u3000\u3000", "x\u0085y", "IT'S 'RE'LL", "1234567 89",
                "\r\n\r\n  x", "¡Hola! ¿Qué tal? 12½", "tab\t\t\nend  ", "~~~ $100 +5 <= a|b", "\u00e9\u0301t\u00e9",
                "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛", ""));
        return samples;
    }

    @Test
    void gpt2MatcherAgreesWithItsRegex() throws IOException {
        for (String s : samples()) {
            assertEquals(RegexSplitter.split(s, List.of(SplitRule.Regex.of(GPT2_REGEX))),
                    RegexSplitter.split(s, List.of(new SplitRule.Gpt2())), TokenizerVectorsTest.escape(s));
        }
    }

    @Test
    void llama3MatcherAgreesWithItsRegex() throws IOException {
        for (String s : samples()) {
            assertEquals(RegexSplitter.split(s, List.of(SplitRule.Regex.of(LLAMA3_REGEX))),
                    RegexSplitter.split(s, List.of(new SplitRule.Llama3())), TokenizerVectorsTest.escape(s));
        }
    }

    @Test
    void wordsConcatenateToTheInputForEveryPreTokenizer() throws IOException {
        for (String name : new String[] {"default", "llama3", "qwen2", "deepseek-llm", "deepseek-coder", "deepseek-v3",
                "falcon", "starcoder", "gpt-2", "poro-chat", "viking", "tekken", "chameleon"}) {
            final PreTokenizer pre = PreTokenizer.forName(name).orElseThrow();
            for (String s : samples()) {
                final List<String> words = RegexSplitter.split(s, pre.rules());
                assertEquals(s, String.join("", words), name + " " + TokenizerVectorsTest.escape(s));
                words.forEach(w -> assertEquals(false, w.isEmpty(), name + ": empty word"));
            }
        }
    }

    @Test
    void qwen2SplitsDigitsOneByOneAndLlama3ByThrees() {
        final List<SplitRule> qwen2 = PreTokenizer.forName("qwen2").orElseThrow().rules();
        final List<SplitRule> llama3 = PreTokenizer.forName("llama3").orElseThrow().rules();
        assertEquals(List.of("1", "2", "3", "4", " apples"), RegexSplitter.split("1234 apples", qwen2));
        assertEquals(List.of("123", "4", " apples"), RegexSplitter.split("1234 apples", llama3));
    }

    @Test
    void deepseekCoderKeepsCjkRunsAndSingleDigits() {
        final List<SplitRule> coder = PreTokenizer.forName("deepseek-coder").orElseThrow().rules();
        assertEquals(List.of("Hello", "1", "2", " ", "世界", "\n", "\n", "x", "!"),
                RegexSplitter.split("Hello12 世界\n\nx!", coder));
    }

    @Test
    void deepseekLlmTrailingWhitespaceIsItsOwnPiece() {
        // "\s+$" must match only at the end of a piece (Java's $ would also match before a final line terminator)
        final List<SplitRule> llm = PreTokenizer.forName("deepseek-llm").orElseThrow().rules();
        assertEquals(List.of("ab", "  "), RegexSplitter.split("ab  ", llm));
        assertEquals(List.of("ab", " ", "\n"), RegexSplitter.split("ab \n", llm));
    }

    @Test
    void categoriesCollapseToPlaceholderClasses() {
        assertEquals("[^\\s\u00D2A-Za-z\u00D10-9]+", RegexTranslation.collapse("[^\\s\\p{L}\\p{N}]+"));
        assertEquals(" ?[\u00D2A-Za-z]+", RegexTranslation.collapse(" ?\\p{L}+"));
        assertEquals("[\u00D2A-Za-z\u00D4]", RegexTranslation.collapse("[\\p{L}\\p{M}]"));
        assertEquals("\\s+\\z|[$]", RegexTranslation.anchorEnd("\\s+$|[$]"));
    }
}
