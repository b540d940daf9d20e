package io.strata.model.tokenizer;

import java.util.List;
import java.util.Optional;

/**
 * A BPE pre-tokenizer selected by {@code tokenizer.ggml.pre}: the split rules llama.cpp applies to each text fragment
 * before BPE, and the tokenizer flags the same name sets (llama.cpp {@code llama_vocab::impl::load} and the
 * {@code llm_tokenizer_bpe} constructor, reference build b4747).
 *
 * @param name         the GGUF value
 * @param rules        applied in order, each refining the pieces of the previous one
 * @param ignoreMerges a word that is itself a token is emitted without running BPE (Llama 3 family)
 * @param addBos       BOS is added by default (before the GGUF {@code add_bos_token} override)
 * @param cleanSpaces  detokenization removes spaces before punctuation (clean_up_tokenization_spaces)
 * @param hasBos       false where llama.cpp clears the default BOS id (chatglm)
 */
record PreTokenizer(String name, List<SplitRule> rules, boolean ignoreMerges, boolean addBos, boolean cleanSpaces,
                    boolean hasBos) {

    // Regexes exactly as llama.cpp gives them to std::regex (formats.md 5.6). Literal CR/LF inside classes are
    // equivalent to the \r \n escapes used elsewhere.
    private static final String CONTRACTIONS_ANY_CASE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

    // llama.cpp recognises the GPT-2 regex and the Llama 3 regex by string equality and runs hand-written matchers for
    // them; every list below that contains one of those two strings uses the matcher at that position.
    private static final List<SplitRule> GPT2 = List.of(new SplitRule.Gpt2());
    private static final List<SplitRule> LLAMA3 = List.of(new SplitRule.Llama3());
    private static final List<SplitRule> QWEN2 = List.of(SplitRule.Regex.of(CONTRACTIONS_ANY_CASE
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"));
    private static final List<SplitRule> DEEPSEEK_LLM = List.of(
            SplitRule.Regex.of("[\r\n]"),
            SplitRule.Regex.of("\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+"),
            SplitRule.Regex.of("\\s?[!-/:-~！-／：-～‘-‟　-。]+"),
            SplitRule.Regex.of("\\s+$"),
            SplitRule.Regex.of("[一-龥ࠀ-一가-퟿]+"),
            SplitRule.Regex.of("\\p{N}+"));
    private static final List<SplitRule> DEEPSEEK_CODER = List.of(
            SplitRule.Regex.of("[\r\n]"),
            SplitRule.Regex.of("\\s?\\p{L}+"),
            SplitRule.Regex.of("\\s?\\p{P}+"),
            SplitRule.Regex.of("[一-龥ࠀ-一가-퟿]+"),
            SplitRule.Regex.of("\\p{N}"));
    private static final List<SplitRule> DEEPSEEK3 = List.of(
            SplitRule.Regex.of("\\p{N}{1,3}"),
            SplitRule.Regex.of("[一-龥぀-ゟ゠-ヿ]+"),
            SplitRule.Regex.of("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                    + "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"));
    private static final List<SplitRule> FALCON = List.of(
            SplitRule.Regex.of("[\\p{P}\\$\\+<=>\\^~\\|`]+"),
            new SplitRule.Gpt2(),
            SplitRule.Regex.of("[0-9][0-9][0-9]"));
    private static final List<SplitRule> STARCODER = List.of(SplitRule.Regex.of("\\p{N}"), new SplitRule.Gpt2());
    private static final String PORO_WORDS = " ?[^(\\s|.,!?…。，、।۔،)]+";
    private static final List<SplitRule> PORO = List.of(SplitRule.Regex.of(PORO_WORDS));
    private static final List<SplitRule> VIKING = List.of(SplitRule.Regex.of(PORO_WORDS), SplitRule.Regex.of("\\p{N}"));
    private static final List<SplitRule> TEKKEN = List.of(SplitRule.Regex.of(
            "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
                    + "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*"
                    + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"));
    private static final List<SplitRule> CHAMELEON = List.of(
            SplitRule.Regex.of("<sentinel:[0-9]+>"),
            SplitRule.Regex.of("(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z"),
            SplitRule.Regex.of("([\\t\\n]|    |  )"),
            SplitRule.Regex.of("\\p{N}"),
            SplitRule.Regex.of("[\\p{P}!-/:-@\\[-`{-~]"),
            new SplitRule.Gpt2());
    private static final List<SplitRule> DEFAULT = List.of(
            SplitRule.Regex.of("[\\p{P}\\$\\+<=>\\^~\\|]+"),
            new SplitRule.Gpt2(),
            SplitRule.Regex.of("\\p{N}+"),
            SplitRule.Regex.of("[0-9][0-9][0-9]"));

    /** The pre-tokenizer llama.cpp uses when {@code tokenizer.ggml.pre} is missing. */
    static PreTokenizer defaultPreTokenizer() {
        return forName("default").orElseThrow();
    }

    /** The pre-tokenizer for a {@code tokenizer.ggml.pre} value, or empty if llama.cpp does not know the name. */
    static Optional<PreTokenizer> forName(final String name) {
        final PreTokenizer p = switch (name) {
            case "default" -> plain(name, DEFAULT);
            case "llama3", "llama-v3", "llama-bpe", "falcon3" -> new PreTokenizer(name, LLAMA3, true, true, true, true);
            case "dbrx", "smaug-bpe" -> plain(name, LLAMA3);
            case "deepseek-llm" -> noClean(name, DEEPSEEK_LLM);
            case "deepseek-coder" -> noClean(name, DEEPSEEK_CODER);
            case "deepseek-v3" -> noClean(name, DEEPSEEK3);
            case "falcon" -> plain(name, FALCON);
            case "starcoder", "refact", "codeshell", "exaone", "minerva-7b" -> plain(name, STARCODER);
            case "command-r", "smollm" -> noClean(name, STARCODER);
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
                 "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais" -> plain(name, GPT2);
            case "qwen2", "deepseek-r1-qwen" -> noClean(name, QWEN2);
            case "stablelm2", "megrez" -> plain(name, QWEN2);
            case "poro-chat" -> noClean(name, PORO);
            case "bloom", "gpt3-finnish" -> plain(name, PORO);
            case "viking" -> noClean(name, VIKING);
            case "chatglm-bpe" -> new PreTokenizer(name, LLAMA3, false, false, true, false);
            case "tekken" -> new PreTokenizer(name, TEKKEN, true, true, false, true);
            case "chameleon" -> new PreTokenizer(name, CHAMELEON, false, true, false, true);
            default -> null;
        };
        return Optional.ofNullable(p);
    }

    private static PreTokenizer plain(final String name, final List<SplitRule> rules) {
        return new PreTokenizer(name, rules, false, false, true, true);
    }

    private static PreTokenizer noClean(final String name, final List<SplitRule> rules) {
        return new PreTokenizer(name, rules, false, false, false, true);
    }
}
