package io.strata.model.tokenizer;

import io.strata.model.store.ModelLocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded random text (ASCII, whitespace runs, digits, accents, CJK, emoji, controls, unpaired surrogates) through
 * every reference vocabulary: encoding never fails, ids are in range, and the pieces give back the text's UTF-8
 * bytes (SPM after its prefix space; BERT normalizes, so only the first two properties apply).
 */
class TokenizerRandomTextTest {
    private static final String[] ALPHABET = {"a", "Z", "q", "'s", "'LL", " ", "  ", "\t", "\n", "\r\n", "\u00A0",
            "\u3000", "0", "7", "42", "1234", "½", "é", "e\u0301", "ß", "Ж", "ж", "ع", "ก", "中", "文", "가", "ア", "🦙",
            "😶\u200d🌫️", "!", "?", ".", ",", "$", "~", "<", ">", "|", "`", "\u0000", "\u0007", "\u0085", "\uD800",
            "<s>", "</s>", "<|endoftext|>", "[CLS]", "▁", "Ġ"};

    private static String randomText(final Random random) {
        final StringBuilder sb = new StringBuilder();
        final int parts = random.nextInt(40);
        for (int i = 0; i < parts; i++) {
            sb.append(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return sb.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf", "ggml-vocab-gpt-2.gguf",
            "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-deepseek-coder.gguf", "ggml-vocab-falcon.gguf",
            "ggml-vocab-starcoder.gguf", "ggml-vocab-bert-bge.gguf", "ggml-vocab-phi-3.gguf"})
    void piecesGiveBackTheText(final String vocabFile) {
        final Tokenizer t = Tokenizer.fromGguf(ModelLocator.fromEnvironment().locate(vocabFile));
        final Random random = new Random(20250214L);
        for (int n = 0; n < 300; n++) {
            final String text = randomText(random);
            final boolean parseSpecial = random.nextBoolean();
            final int[] ids = t.encode(text, false, parseSpecial);
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int id : ids) {
                assertTrue(id >= 0 && id < t.vocabulary().size(), vocabFile + ": id " + id);
                bytes.writeBytes(t.piece(id, true));
            }
            if (t instanceof WpmTokenizer || vocabFile.contains("phi-3")) {
                continue; // BERT lowercases and strips; phi-3 strips spaces after its special tokens
            }
            assertEquals(new String(expectedBytes(t.vocabulary(), text, parseSpecial), StandardCharsets.ISO_8859_1),
                    new String(bytes.toByteArray(), StandardCharsets.ISO_8859_1),
                    vocabFile + " " + TokenizerVectorsTest.escape(text));
        }
    }

    /** The text's UTF-8 (unpaired surrogates as '?'); for SPM with a space before each text fragment. */
    private static byte[] expectedBytes(final Vocabulary v, final String text, final boolean parseSpecial) {
        final String wellFormed = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        if (!v.addSpacePrefix()) {
            return wellFormed.getBytes(StandardCharsets.UTF_8);
        }
        // a space goes before the first text fragment and after every special token cut out of the text
        final StringBuilder sb = new StringBuilder();
        boolean afterSpecial = true;
        for (Fragment f : SpecialTokenPartition.partition(v, wellFormed, parseSpecial)) {
            switch (f) {
                case Fragment.Text(String raw) -> {
                    // a U+2581 typed in the text cannot be told from an escaped space: both come back as spaces
                    sb.append(afterSpecial ? " " : "").append(raw.replace('\u2581', ' '));
                    afterSpecial = false;
                }
                case Fragment.Special(int id) -> {
                    sb.append(v.text(id));
                    afterSpecial = true;
                }
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
