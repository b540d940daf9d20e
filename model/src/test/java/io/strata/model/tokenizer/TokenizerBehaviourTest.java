package io.strata.model.tokenizer;

import io.strata.model.store.ModelLocator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Prompts, special tokens, pieces and detokenization of the shared reference models, as llama.cpp gives them. */
class TokenizerBehaviourTest {
    private static final ConcurrentHashMap<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private static Tokenizer load(final String model) {
        return LOADED.computeIfAbsent(model, m -> Tokenizer.fromGguf(ModelLocator.fromEnvironment().locate(m)));
    }

    private static List<String> vectorInputs(final String vocab) throws IOException {
        return TokenizerVectorsTest.readInputs(SharedFiles.require("models/vocab/ggml-vocab-" + vocab + ".gguf.inp"));
    }

    // ---- prompts of the reference models --------------------------------------------------------------------

    @Test
    void stories260KPromptStartsWithBos() {
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, load("stories260K.gguf").encode("Once upon a time", true, true));
    }

    @Test
    void llama2VocabularyTokenizesHelloWorld() {
        assertArrayEquals(new int[] {1, 15043, 3186}, load("llama-2-tiny-random.gguf").encode("Hello world", true, true));
    }

    @Test
    void llama3PromptStartsWithBeginOfText() {
        final Tokenizer t = load("synth-llama3-Q8_0.gguf");
        assertInstanceOf(BpeTokenizer.class, t);
        assertArrayEquals(new int[] {128000, 12805, 5304, 264, 892}, t.encode("Once upon a time", true, true));
    }

    @Test
    void deepseekCoderVocabularyMatchesQwen2Golden() throws IOException {
        final Path golden = SharedFiles.require("golden/synth-qwen2-Q8_0/greedy_once_upon_a_time_kvf32.txt");
        final String line = java.nio.file.Files.readAllLines(golden).stream()
                .filter(l -> l.startsWith("prompt_ids")).findFirst().orElseThrow();
        final int[] expected = java.util.Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split(" "))
                .mapToInt(Integer::parseInt).toArray();
        assertArrayEquals(expected, load("synth-qwen2-Q8_0.gguf").encode("Once upon a time", true, false));
    }

    @Test
    void bertAddsClsAndSep() {
        final Tokenizer t = load("ggml-vocab-bert-bge.gguf");
        final int[] plain = t.encode("Hello world", false, false);
        final int[] framed = t.encode("Hello world", true, false);
        assertEquals(plain.length + 2, framed.length);
        assertEquals(101, framed[0]);
        assertEquals(102, framed[framed.length - 1]);
    }

    // ---- special tokens ---------------------------------------------------------------------------------------

    @Test
    void parseSpecialRecognisesControlTokensOnlyWhenAsked() {
        final Tokenizer t = load("ggml-vocab-llama-bpe.gguf");
        final int[] parsed = t.encode("<|begin_of_text|>Hello", false, true);
        assertArrayEquals(new int[] {128000, 9906}, parsed);
        final int[] literal = t.encode("<|begin_of_text|>Hello", false, false);
        assertTrue(literal.length > 2, "without parseSpecial the control token is plain text");
        assertFalse(IntStream.of(literal).anyMatch(id -> id == 128000));
    }

    @Test
    void userDefinedTokensAreMatchedEvenWithoutParseSpecialAndPhi3StripsSpacesAfterThem() {
        // phi-3's "</s>" is USER_DEFINED, and llama.cpp gives every special token RSTRIP for models named phi-3
        final Tokenizer t = load("ggml-vocab-phi-3.gguf");
        assertEquals(2, t.vocabulary().id("</s>"));
        final List<Integer> expected = new ArrayList<>();
        IntStream.of(t.encode("a", false, false)).forEach(expected::add);
        expected.add(2);
        IntStream.of(t.encode("b", false, false)).forEach(expected::add); // the fragment after a special token gets the space prefix
        assertEquals(expected, IntStream.of(t.encode("a</s>   b", false, false)).boxed().toList());
    }

    @Test
    void llama3EndOfGenerationTokens() {
        final Vocabulary v = load("ggml-vocab-llama-bpe.gguf").vocabulary();
        assertEquals(128009, v.specialIds().eot(), "<|eot_id|> is found by its text");
        assertTrue(v.isEndOfGeneration(128001), "eos <|end_of_text|>");
        assertTrue(v.isEndOfGeneration(128009), "<|eot_id|>");
        assertFalse(v.isEndOfGeneration(128000), "bos");
        assertArrayEquals(new int[] {128001, 128009}, v.endOfGenerationIds());
        assertTrue(v.addBos());
        assertFalse(v.addEos());
    }

    @Test
    void spmVocabularyDefaults() {
        final Vocabulary v = load("stories260K.gguf").vocabulary();
        assertEquals(TokenizerModel.SPM, v.model());
        assertEquals(new SpecialTokenIds(1, 2, -1, -1, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1), v.specialIds(),
                "the file's seperator/padding ids of -1 are ignored");
        assertTrue(v.addBos() && v.addSpacePrefix() && !v.cleanSpaces() && !v.addEos());
        assertArrayEquals(new int[] {2}, v.endOfGenerationIds());
        assertTrue(v.isByte(3 + 0x0A));
    }

    // ---- pieces and detokenization ------------------------------------------------------------------------

    @Test
    void piecesFollowTokenToPiece() {
        final Tokenizer spm = load("stories260K.gguf");
        assertArrayEquals(new byte[] {0x0A}, spm.piece(3 + 0x0A, false), "BYTE token <0x0A>");
        assertArrayEquals(new byte[0], spm.piece(1, false), "CONTROL hidden");
        assertEquals("<s>", new String(spm.piece(1, true), StandardCharsets.UTF_8), "CONTROL shown when special");
        assertEquals(" Once", new String(spm.piece(403, false), StandardCharsets.UTF_8), "U+2581 becomes a space");

        final Tokenizer bpe = load("ggml-vocab-gpt-2.gguf");
        final int world = bpe.vocabulary().id("\u0120world");
        assertEquals(" world", new String(bpe.piece(world, false), StandardCharsets.UTF_8), "byte-level alphabet");
    }

    @Test
    void spmDecodeStripsTheAddedSpaceOnlyFromTheFirstToken() {
        final Tokenizer t = load("ggml-vocab-llama-spm.gguf");
        assertEquals("Hello world", t.decode(t.encode("Hello world", false, false), false));
        final int[] withBos = t.encode("Hello world", true, false);
        assertEquals(" Hello world", t.decode(withBos, false), "the strip is spent on BOS, whose piece is empty");
        assertEquals(" Hello world", t.decode(withBos, true), "dropping BOS turns the strip off");
        assertEquals("<s> Hello world",
                new String(t.detokenize(withBos, false, true), StandardCharsets.UTF_8), "unparseSpecial shows BOS");
    }

    @Test
    void spmRoundTripsEveryTestString() throws IOException {
        final Tokenizer t = load("ggml-vocab-llama-spm.gguf");
        for (String s : vectorInputs("llama-spm")) {
            assertEquals(s, t.decode(t.encode(s, false, false), false), TokenizerVectorsTest.escape(s));
        }
    }

    @Test
    void llama3PiecesReproduceEveryTestStringExactly() throws IOException {
        final Tokenizer t = load("ggml-vocab-llama-bpe.gguf");
        for (String s : vectorInputs("llama-bpe")) {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final int[] ids = t.encode(s, false, false);
            for (int id : ids) {
                bytes.writeBytes(t.piece(id, false));
            }
            assertEquals(s, bytes.toString(StandardCharsets.UTF_8), TokenizerVectorsTest.escape(s));
            // decode also applies clean_spaces, which only changes text that has " ?", " ,", " 's" and the like
            if (!s.matches("(?s).* [?!.,'].*")) {
                assertEquals(s, t.decode(ids, false), TokenizerVectorsTest.escape(s));
            }
        }
    }

    @Test
    void cleanSpacesAppliesToGpt2ButNotToDeepseekCoder() {
        final String text = "Hello , world ! It 's done . Isn 't it ?";
        final Tokenizer gpt2 = load("ggml-vocab-gpt-2.gguf");
        assertEquals("Hello, world! It's done. Isn 't it?", gpt2.decode(gpt2.encode(text, false, false), false));
        final Tokenizer coder = load("ggml-vocab-deepseek-coder.gguf");
        assertEquals(text, coder.decode(coder.encode(text, false, false), false));
    }

    @Test
    void streamingPiecesThroughTheDecoderRebuildsTheText() {
        final Tokenizer t = load("ggml-vocab-llama-spm.gguf"); // emoji fall back to one byte token per UTF-8 byte
        final String text = "Hi 🦙 and 😶‍🌫️!";
        final Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        final StringBuilder out = new StringBuilder();
        boolean heldBack = false;
        for (int id : t.encode(text, false, false)) {
            final byte[] piece = t.piece(id, false);
            final String chunk = decoder.feed(piece);
            heldBack |= chunk.isEmpty() && piece.length > 0;
            out.append(chunk);
        }
        out.append(decoder.flush());
        assertTrue(heldBack, "some byte tokens end inside a character");
        assertEquals(" " + text, out.toString(), "streaming keeps the SPM prefix space, like common_token_to_piece");
    }
}
