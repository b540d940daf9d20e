package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.strata.cli.CliTest.strata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** run, show and tokenize on Hugging Face directories, convert and quantize, through the strata command. */
class ConvertCommandTest {
    static final Path MODELS = Path.of(System.getProperty("strata.model.path.default", "../shared/models"));

    static String goldenText(String model) throws Exception {
        String ref = Files.readString(CliTest.golden(model), StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("(?m)^generated_text: \"(.*)\"$").matcher(ref);
        assertTrue(m.find());
        return m.group(1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"stories260K-hf, stories260K", "stories260K-hf-bf16-sharded, stories260K-BF16"})
    void runOnASafetensorsDirectoryPrintsTheGoldenGreedyText(String dir, String golden) throws Exception {
        CliTest.Result r = strata("run", dir, "Once upon a time", "-n", "48", "--temperature", "0");
        assertEquals(0, r.exit(), r.err());
        assertEquals(goldenText(golden), r.out().stripTrailing());
    }

    @Test
    void showAndTokenizeReadTheDirectory() throws Exception {
        CliTest.Result show = strata("show", "stories260K-hf", "--json");
        assertEquals(0, show.exit(), show.err());
        JsonNode n = new ObjectMapper().readTree(show.out());
        assertEquals("llama", n.get("architecture").asText());
        assertEquals(47, n.get("tensors").asInt());
        assertTrue(n.get("format").asText().startsWith("safetensors"), show.out());
        CliTest.Result tok = strata("tokenize", "stories260K-hf", "Once upon a time");
        assertEquals("1 403 407 261 378", tok.out().strip());
    }

    @Test
    void convertWritesAGgufThatRunsAsTheReference(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("stories-q8.gguf");
        CliTest.Result r = strata("convert", "stories260K-hf", "-o", out.toString(), "--type", "Q8_0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("wrote " + out + " (Q8_0, "), r.out());
        assertTrue(r.err().contains("tensor types: {F32=11, F16=5, Q8_0=31}"), r.err());
        CliTest.Result run = strata("run", out.toString(), "Once upon a time", "-n", "48", "--temperature", "0");
        assertEquals(0, run.exit(), run.err());
        assertEquals(goldenText("stories260K-Q8_0-mix"), run.out().stripTrailing());
    }

    @Test
    void quantizeWritesLlamaQuantizesFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("q6k.gguf");
        CliTest.Result r = strata("quantize", "stories260K.gguf", out.toString(), "Q6_K");
        assertEquals(0, r.exit(), r.err());
        assertEquals(-1, Files.mismatch(MODELS.resolve("derived/stories260K-Q8_0-mix.gguf"), out));
    }

    @Test
    void problemsAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path pt = Files.createDirectories(dir.resolve("pt"));
        Files.writeString(pt.resolve("config.json"), "{}");
        Files.write(pt.resolve("pytorch_model.bin"), new byte[] {0x50, 0x4b, 3, 4});
        for (String[] args : new String[][] {
                {"convert", pt.toString(), "-o", dir.resolve("x.gguf").toString()},
                {"run", pt.toString(), "hi"}}) {
            CliTest.Result r = strata(args);
            assertEquals(1, r.exit(), String.join(" ", args));
            assertTrue(r.err().startsWith("strata: ") && r.err().contains("arbitrary code")
                    && r.err().strip().lines().count() == 1, r.err());
        }
        CliTest.Result badType = strata("quantize", "stories260K.gguf", dir.resolve("y.gguf").toString(), "Q9");
        assertEquals(1, badType.exit());
        assertTrue(badType.err().startsWith("strata: unknown type 'Q9' (supported: "), badType.err());
        CliTest.Result notDir = strata("convert", "stories260K.gguf", "-o", dir.resolve("z.gguf").toString());
        assertEquals(1, notDir.exit());
        assertTrue(notDir.err().contains("use strata quantize"), notDir.err());
        assertTrue(!Files.exists(dir.resolve("x.gguf")) && !Files.exists(dir.resolve("y.gguf")));
    }
}
