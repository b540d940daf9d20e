package io.strata.model.tokenizer;

import io.strata.model.store.ModelLocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The greedy transcripts llama.cpp wrote for every reference model (shared golden/ folder): the prompt tokenizes to
 * the recorded {@code prompt_ids} (BOS added, special tokens not parsed), every generated token's piece is the
 * recorded {@code piece="..."}, and {@code generated_text} is the concatenation of the generated pieces. Pieces are
 * written as raw bytes with bytes below 0x20 as {@code \xNN}.
 */
class GoldenTranscriptTest {

    static Stream<Path> transcripts() throws IOException {
        final Path golden = SharedFiles.require("golden");
        try (Stream<Path> files = Files.walk(golden, 2)) {
            return files.filter(p -> p.getFileName().toString().startsWith("greedy_")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transcripts")
    void promptIdsAndPiecesMatchLlamaCpp(final Path transcript) throws IOException {
        final String model = transcript.getParent().getFileName() + ".gguf";
        final Tokenizer tokenizer = Tokenizer.fromGguf(ModelLocator.fromEnvironment().locate(model));
        final List<byte[]> lines = lines(Files.readAllBytes(transcript));

        final String prompt = quoted(line(lines, "# prompt: "));
        assertArrayEquals(ids(line(lines, "prompt_ids")), tokenizer.encode(prompt, true, false),
                transcript + ": prompt ids of \"" + prompt + "\"");

        final ByteArrayOutputStream generated = new ByteArrayOutputStream();
        int steps = 0;
        for (byte[] raw : lines) {
            final String line = new String(raw, StandardCharsets.ISO_8859_1); // byte-preserving
            if (!line.startsWith("step")) {
                continue;
            }
            final int id = Integer.parseInt(line.substring(line.indexOf("id=") + 3, line.indexOf(" piece=")));
            final String expected = line.substring(line.indexOf("piece=\"") + 7, line.lastIndexOf("\" top5=["));
            final byte[] piece = tokenizer.piece(id, true);
            assertEquals(expected, escape(piece), transcript + ": piece of token " + id);
            generated.write(piece, 0, piece.length);
            steps++;
        }
        assertFalse(steps == 0, transcript + " has no steps");
        assertEquals(quoted(line(lines, "generated_text: ")), escape(generated.toByteArray()),
                transcript + ": generated_text");
        final int[] generatedIds = ids(line(lines, "generated_ids"));
        assertEquals(steps, generatedIds.length, transcript + ": generated_ids count");
    }

    private static List<byte[]> lines(final byte[] all) {
        final List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= all.length; i++) {
            if (i == all.length || all[i] == '\n') {
                out.add(Arrays.copyOfRange(all, start, i));
                start = i + 1;
            }
        }
        return out;
    }

    /** The first line with this prefix, bytes as ISO-8859-1 chars (so that raw UTF-8 survives comparison). */
    private static String line(final List<byte[]> lines, final String prefix) {
        for (byte[] raw : lines) {
            final String line = new String(raw, StandardCharsets.ISO_8859_1);
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "'");
    }

    private static String quoted(final String line) {
        return line.substring(line.indexOf('"') + 1, line.lastIndexOf('"'));
    }

    /** "prompt_ids (5): 1 403 407" → ids. */
    private static int[] ids(final String line) {
        return Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split("\\s+"))
                .mapToInt(Integer::parseInt).toArray();
    }

    /** Bytes as ISO-8859-1 chars, with bytes below 0x20 written as \xNN like the transcripts. */
    private static String escape(final byte[] bytes) {
        final StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            final int u = b & 0xFF;
            if (u < 0x20) {
                sb.append(String.format("\\x%02x", u));
            } else {
                sb.append((char) u);
            }
        }
        return sb.toString();
    }
}
