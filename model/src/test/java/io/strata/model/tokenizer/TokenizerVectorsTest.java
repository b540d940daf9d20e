package io.strata.model.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * llama.cpp's tokenizer test vectors (tests/test-tokenizer-0): for every vocab-only GGUF in the shared folder that
 * has X.gguf.inp / X.gguf.out, every test string must tokenize (add_special = false, parse_special = false) to
 * exactly the ids llama.cpp produced.
 */
class TokenizerVectorsTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";
    /** The vocabularies the shared README lists with both a GGUF and vectors; all must be present. */
    private static final Set<String> EXPECTED = Set.of("llama-spm", "llama-bpe", "phi-3", "deepseek-coder",
            "deepseek-llm", "gpt-2", "falcon", "mpt", "starcoder", "refact", "bert-bge");

    static Stream<Path> vocabsWithVectors() throws IOException {
        final Path dir = SharedFiles.require("models/vocab");
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".gguf"))
                    .filter(p -> Files.exists(Path.of(p + ".inp")) && Files.exists(Path.of(p + ".out")))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    @Test
    void everyExpectedVocabularyHasItsVectors() throws IOException {
        final List<String> found = vocabsWithVectors()
                .map(p -> p.getFileName().toString().replace("ggml-vocab-", "").replace(".gguf", ""))
                .toList();
        assertTrue(found.containsAll(EXPECTED), "vocabularies with vectors: " + found + ", expected " + EXPECTED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabsWithVectors")
    void tokenizesLikeLlamaCpp(final Path gguf) throws IOException {
        final Tokenizer tokenizer = Tokenizer.fromGguf(gguf);
        final List<String> inputs = readInputs(Path.of(gguf + ".inp"));
        final List<int[]> expected = readExpected(Path.of(gguf + ".out"));
        assertEquals(inputs.size(), expected.size(), gguf.getFileName() + ": .inp and .out disagree on the case count");

        final List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            final int[] actual = tokenizer.encode(inputs.get(i), false, false);
            if (!Arrays.equals(expected.get(i), actual)) {
                failures.add("case " + i + " " + escape(inputs.get(i)) + "\n    expected " + Arrays.toString(expected.get(i))
                        + "\n    actual   " + Arrays.toString(actual));
            }
        }
        if (!failures.isEmpty()) {
            fail(gguf.getFileName() + ": " + failures.size() + " of " + inputs.size() + " cases differ from llama.cpp\n"
                    + String.join("\n", failures));
        }
    }

    /** The test strings: the file split at the separator, without the empty remainder after the last one. */
    static List<String> readInputs(final Path inp) throws IOException {
        final String all = Files.readString(inp, StandardCharsets.UTF_8);
        final List<String> cases = new ArrayList<>(Arrays.asList(all.split(SEPARATOR, -1)));
        if (!cases.isEmpty() && cases.getLast().isEmpty()) {
            cases.removeLast();
        }
        return cases;
    }

    static List<int[]> readExpected(final Path out) throws IOException {
        final List<int[]> ids = new ArrayList<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            final String trimmed = line.strip();
            ids.add(trimmed.isEmpty() ? new int[0]
                    : Arrays.stream(trimmed.split("\\s+")).mapToInt(Integer::parseInt).toArray());
        }
        return ids;
    }

    static String escape(final String s) {
        final String shown = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return '"' + shown.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"';
    }
}
