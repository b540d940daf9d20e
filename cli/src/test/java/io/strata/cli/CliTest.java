package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The strata command in-process: stdout carries only the result, errors are one line on stderr. */
class CliTest {

    record Result(int exit, String out, String err) {}

    static synchronized Result strata(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Path golden(String model) {
        String shared = System.getProperty("strata.shared", "../shared");
        return Path.of(shared, "golden", model, "greedy_once_upon_a_time_kvf32.txt");
    }

    @Test
    void runPrintsLlamaCppsGreedyTextAndNothingElse() throws Exception {
        String ref = Files.readString(golden("stories260K"), StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("(?m)^generated_text: \"(.*)\"$").matcher(ref);
        assertTrue(m.find());
        Result r = strata("run", "stories260K.gguf", "Once upon a time", "-n", "48", "--temperature", "0");
        assertEquals(0, r.exit(), r.err());
        assertEquals(m.group(1), r.out().stripTrailing());
    }

    @Test
    void versionNamesTheProject() {
        Result r = strata("--version");
        assertEquals(0, r.exit());
        assertTrue(r.out().startsWith("strata "), r.out());
    }

    @Test
    void tokenizePrintsIdsOnOneLine() {
        Result r = strata("tokenize", "stories260K.gguf", "Once upon a time");
        assertEquals(0, r.exit(), r.err());
        assertEquals("1 403 407 261 378", r.out().strip());
        assertEquals("403 407 261 378", strata("tokenize", "stories260K.gguf", "Once upon a time", "--no-bos").out().strip());
    }

    @Test
    void showJsonDescribesTheModel() throws Exception {
        Result r = strata("show", "stories260K.gguf", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertEquals("llama", n.get("architecture").asText());
        assertEquals(2048, n.get("context_length").asInt());
        assertEquals("llama", n.get("tokenizer").get("model").asText());
        assertTrue(n.get("parameters").asLong() > 250_000);
    }

    @Test
    void aMissingModelIsOneLineOnStderr() {
        Result r = strata("run", "no-such-model.gguf", "hi");
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("strata: model not found: no-such-model.gguf"), r.err());
    }

    @Test
    void aFileThatIsNotGgufIsOneLineNamingIt(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("notes.txt");
        Files.writeString(p, "hello, not a model");
        Result r = strata("show", p.toString());
        assertEquals(1, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("not a GGUF file"), r.err());
        assertTrue(r.err().contains(p.toString()), r.err());
    }

    @Test
    void aPromptLongerThanTheContextIsRefused() {
        Result r = strata("run", "stories260K.gguf", "Once upon a time there was a girl", "-c", "4");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("longer than the context of 4 tokens"), r.err());
    }

    @Test
    void synthWritesAModelThatRunsAndIsDeterministicBySeed(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        for (Path p : new Path[]{a, b}) {
            Result r = strata("synth", "-o", p.toString(), "--arch", "qwen3", "--dim", "256", "--layers", "2", "--heads", "4",
                    "--kv-heads", "2", "--ff", "512", "--vocab-size", "400", "--type", "Q4_K_M", "--seed", "5");
            assertEquals(0, r.exit(), r.err());
        }
        assertEquals(-1L, Files.mismatch(a, b), "same seed, same bytes");
        Result run = strata("run", a.toString(), "hello", "-n", "5", "--temperature", "0");
        assertEquals(0, run.exit(), run.err());
        Result show = strata("show", a.toString(), "--json");
        JsonNode n = new ObjectMapper().readTree(show.out());
        assertEquals("qwen3", n.get("architecture").asText());
        assertTrue(n.get("tensor_types").has("Q4_K") && n.get("tensor_types").has("Q6_K"), show.out());
    }

    @Test
    void runWithoutAPromptChatsOverStdin() {
        java.io.InputStream old = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("Tell me a story\nAnd another\n\n".getBytes(StandardCharsets.UTF_8)));
            Result r = strata("run", "stories260K.gguf", "-n", "8", "--temperature", "0");
            assertEquals(0, r.exit(), r.err());
            assertEquals(2, r.out().strip().lines().count(), "one reply line per user turn: " + r.out());
            assertTrue(r.err().contains("no chat template"), r.err());
        } finally {
            System.setIn(old);
        }
    }
}
