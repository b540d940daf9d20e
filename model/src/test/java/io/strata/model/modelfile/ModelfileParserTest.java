package io.strata.model.modelfile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelfileParserTest {

    private static Modelfile parse(String text) {
        return ModelfileParser.parse(text, Path.of("."));
    }

    private static ModelfileException error(String text) {
        return assertThrows(ModelfileException.class, () -> parse(text));
    }

    @Test
    void everyInstructionIsRead() {
        Modelfile m = parse("""
                # a comment
                FROM llama3.2
                parameter temperature 0.6
                PARAMETER top_k 20
                PARAMETER stop "<|eot_id|>"
                PARAMETER stop <|end_of_text|>
                PARAMETER seed 42
                Template \"""{{ if .System }}{{ .System }}
                {{ end }}{{ .Prompt }}\"""
                SYSTEM You are #1 at brevity.
                MESSAGE user Is the sky blue?
                MESSAGE assistant \"""Yes.\"""
                LICENSE MIT
                LICENSE \"""Apache
                2.0\"""
                """);
        assertEquals(new Modelfile.From.Reference("llama3.2", 2), m.from());
        assertEquals(0.6, m.parameters().values().get("temperature"));
        assertEquals(20L, m.parameters().values().get("top_k"));
        assertEquals(42L, m.parameters().values().get("seed"));
        assertEquals(List.of("<|eot_id|>", "<|end_of_text|>"), m.parameters().stop());
        assertEquals("{{ if .System }}{{ .System }}\n{{ end }}{{ .Prompt }}", m.template().orElseThrow().value());
        assertEquals(8, m.template().orElseThrow().line());
        assertEquals("You are #1 at brevity.", m.system().orElseThrow().value());
        assertEquals(10, m.system().orElseThrow().line(), "the line count goes on after a multi-line block");
        assertEquals(List.of(new Modelfile.Message("user", "Is the sky blue?"), new Modelfile.Message("assistant", "Yes.")),
                m.messages());
        assertEquals(List.of("MIT", "Apache\n2.0"), m.licenses().stream().map(Modelfile.Text::value).toList());
    }

    @Test
    void parametersBecomeOllamasParamsJson() {
        Modelfile m = parse("FROM x\nPARAMETER temperature 0.6\nPARAMETER stop <|eot_id|>\nPARAMETER num_ctx 4096\n");
        assertEquals("{\"num_ctx\":4096,\"stop\":[\"<|eot_id|>\"],\"temperature\":0.6}", m.parameters().toJson());
        assertEquals(m.parameters(), ModelParameters.fromJson(m.parameters().toJson(), "test"));
    }

    @Test
    void aLaterSystemReplacesAnEarlierOne() {
        assertEquals("second", parse("FROM x\nSYSTEM first\nSYSTEM second").system().orElseThrow().value());
    }

    @Test
    void fromAPullReferenceIsKeptForThePullEvenWhenAFolderOfThatNameExists(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("hf:"));
        assertEquals(new Modelfile.From.Pull("hf://ggml-org/models/stories260K.gguf", 2),
                ModelfileParser.parse("# base\nFROM hf://ggml-org/models/stories260K.gguf", dir).from());
        assertEquals(new Modelfile.From.Pull("oci://127.0.0.1:5000/m/tiny:v1", 1),
                ModelfileParser.parse("FROM \"oci://127.0.0.1:5000/m/tiny:v1\"", dir).from());
    }

    @Test
    void fromAFileOrDirectoryIsResolvedAgainstTheModelfilesFolder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("w.gguf"), "x");
        Files.createDirectories(dir.resolve("hf"));
        assertEquals(new Modelfile.From.File(dir.resolve("./w.gguf"), 1),
                ModelfileParser.parse("FROM ./w.gguf", dir).from());
        assertInstanceOf(Modelfile.From.Directory.class, ModelfileParser.parse("FROM \"hf\"", dir).from());
        var e = assertThrows(ModelfileException.class, () -> ModelfileParser.parse("\n\nFROM ./missing.gguf", dir));
        assertTrue(e.getMessage().startsWith("Modelfile line 3: FROM ./missing.gguf: no such file"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "FROM x\\nPARAMETER temperature hot|line 2: PARAMETER temperature takes a number, got 'hot'",
            "FROM x\\nPARAMETER top_k 4.5|line 2: PARAMETER top_k takes an integer, got '4.5'",
            "FROM x\\nPARAMETER top_p 1.5|line 2: PARAMETER top_p must be between 0 and 1, got 1.5",
            "FROM x\\nPARAMETER temperature -1|line 2: PARAMETER temperature must be at least 0, got -1",
            "FROM x\\n\\nPARAMETER tempreature 1|line 3: unknown PARAMETER 'tempreature'",
            "FROM x\\nPARAMETER num_gpu 1|line 2: PARAMETER num_gpu is an Ollama option Strata does not apply",
            "FROM x\\nPARAMETER seed|line 2: PARAMETER seed needs a value",
            "FROM x\\nPARAMETER|line 2: PARAMETER needs a name and a value",
            "FROM x\\nADAPTER ./lora.gguf|line 2: ADAPTER is not supported",
            "FROM x\\nMESSAGE bot hi|line 2: MESSAGE role 'bot' is not one of system, user, assistant",
            "FROM x\\nMESSAGE user|line 2: MESSAGE user needs an argument",
            "FROM x\\nSYSTEM|line 2: SYSTEM needs an argument",
            "FROM x\\nFROM y|line 2: a second FROM (the first is on line 1)",
            "FROM x\\nINCLUDE other|line 2: unknown instruction 'INCLUDE'",
            "FROM x\\nTEMPLATE \"\"\"{{ .Prompt }}|line 2: the \"\"\" opened here is never closed",
            "FROM x\\nSYSTEM \"unclosed|line 2: the quote opened here is not closed",
            "FROM x\\nSYSTEM \"\"\"a\\nb\"\"\" trailing|line 3: unexpected text after \"\"\": 'trailing' (the argument starts on line 2)",
            "FROM x\\nTEMPLATE \"\"\"a\\n{{ if .System }}\"\"\"|line 3: TEMPLATE does not parse: template line 2: unclosed {{if}}",
            "FROM x\\nTEMPLATE {{ nofunc }}|line 2: TEMPLATE does not parse: template line 1: function \"nofunc\" not defined",
            "# only a comment\\nSYSTEM hi|Modelfile: no FROM instruction",
            "FROM|line 1: FROM needs an argument",
    })
    void errorsNameTheLineAndTheProblem(String text, String expected) {
        ModelfileException e = error(text.replace("\\n", "\n"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void storedParametersKeepUnknownOllamaKeysButCheckKnownTypes() {
        ModelParameters p = ModelParameters.fromJson("{\"num_keep\":24,\"stop\":[\"a\"],\"temperature\":1}", "params");
        assertEquals(24, ((Number) p.values().get("num_keep")).intValue());
        assertEquals(1.0, p.values().get("temperature"));
        var e = assertThrows(IllegalArgumentException.class,
                () -> ModelParameters.fromJson("{\"top_k\":\"many\"}", "blob 1"));
        assertTrue(e.getMessage().contains("blob 1: top_k is not an integer"), e.getMessage());
    }

    @Test
    void aModelfilesParametersOverrideItsBasesKeyByKey() {
        ModelParameters base = ModelParameters.fromJson("{\"stop\":[\"a\"],\"temperature\":1}", "base");
        ModelParameters mine = parse("FROM x\nPARAMETER temperature 0.2").parameters();
        assertEquals("{\"stop\":[\"a\"],\"temperature\":0.2}", base.with(mine).toJson());
        assertEquals("stop \"a\"\ntemperature 0.2\n", base.with(mine).toText());
    }
}
