package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.store.Digest;
import io.strata.model.store.ModelStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.strata.cli.CliTest.strata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** create, list, show, cp, rm and run on stored models, in-process, each test with its own STRATA_HOME. */
class StoreCommandsTest {
    @TempDir
    Path dir;

    private String previousHome;

    @BeforeEach
    void useATemporaryHome() {
        previousHome = System.getProperty(ModelStore.HOME_PROPERTY);
        System.setProperty(ModelStore.HOME_PROPERTY, dir.resolve("home").toString());
    }

    @AfterEach
    void restoreTheHome() {
        if (previousHome == null) {
            System.clearProperty(ModelStore.HOME_PROPERTY);
        } else {
            System.setProperty(ModelStore.HOME_PROPERTY, previousHome);
        }
    }

    private Path modelfile(String text) throws Exception {
        Path p = Files.createTempFile(dir, "Modelfile", "");
        Files.writeString(p, text);
        return p;
    }

    private void create(String name, String modelfileText) throws Exception {
        CliTest.Result r = strata("create", name, "-f", modelfile(modelfileText).toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("success"), r.err());
    }

    private Path blobs() {
        return dir.resolve("home/models/blobs");
    }

    private long blobCount() throws Exception {
        if (!Files.isDirectory(blobs())) {
            return 0;
        }
        try (Stream<Path> s = Files.list(blobs())) {
            return s.filter(p -> p.getFileName().toString().startsWith("sha256-")).count();
        }
    }

    @Test
    void createListShowAndRmAStoredModel() throws Exception {
        CliTest.Result created = strata("create", "tiny", "-f", modelfile("""
                FROM stories260K.gguf
                PARAMETER temperature 0
                PARAMETER stop "<end>"
                SYSTEM \"""You tell stories.\"""
                """).toString());
        assertEquals(0, created.exit(), created.err());
        assertEquals("created tiny:latest", created.out().strip());

        CliTest.Result list = strata("list");
        assertEquals(0, list.exit(), list.err());
        Path manifest = dir.resolve("home/models/manifests/registry.ollama.ai/library/tiny/latest");
        String id = Digest.of(Files.readAllBytes(manifest)).shortHex();
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("tiny:latest") && l.contains(id)), list.out());

        JsonNode show = new ObjectMapper().readTree(strata("show", "tiny", "--json").out());
        assertEquals("llama", show.get("architecture").asText());
        assertEquals("tiny:latest", show.get("stored").get("name").asText());
        assertEquals(0.0, show.get("stored").get("parameters").get("temperature").asDouble(), 0.0);
        assertEquals("<end>", show.get("stored").get("parameters").get("stop").get(0).asText());
        assertEquals("You tell stories.", show.get("stored").get("system").asText());

        CliTest.Result rm = strata("rm", "tiny");
        assertEquals(0, rm.exit(), rm.err());
        assertEquals("deleted 'tiny:latest'", rm.out().strip());
        assertFalse(strata("list").out().contains("tiny"));
        assertEquals(0, blobCount(), "no model left, no blob left");
        assertTrue(Files.exists(Path.of(System.getProperty("strata.model.path.default"), "stories260K.gguf")),
                "the source GGUF is untouched");
    }

    @Test
    void runOnAStoredModelGivesLlamaCppsGreedyText() throws Exception {
        String ref = Files.readString(CliTest.golden("stories260K"), StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("(?m)^generated_text: \"(.*)\"$").matcher(ref);
        assertTrue(m.find());
        create("me/story:v1", "FROM stories260K.gguf\n");
        CliTest.Result r = strata("run", "me/story:v1", "Once upon a time", "-n", "48", "--temperature", "0");
        assertEquals(0, r.exit(), r.err());
        assertEquals(m.group(1), r.out().stripTrailing());
    }

    @Test
    void cpGivesASecondNameThatOutlivesTheFirst() throws Exception {
        create("tiny", "FROM stories260K.gguf\nSYSTEM hi\n");
        long blobs = blobCount();
        CliTest.Result cp = strata("cp", "tiny", "other/tiny:v2");
        assertEquals(0, cp.exit(), cp.err());
        assertEquals("copied 'tiny:latest' to 'other/tiny:v2'", cp.out().strip());
        assertEquals(blobs, blobCount(), "cp copies no blob");
        assertEquals(0, strata("rm", "tiny").exit());
        assertEquals(blobs, blobCount(), "the copy still uses every blob");
        CliTest.Result show = strata("show", "other/tiny:v2", "--json");
        assertEquals(0, show.exit(), show.err());
        assertEquals("hi", new ObjectMapper().readTree(show.out()).get("stored").get("system").asText());
    }

    @Test
    void showModelfileRecreatesTheSameManifest() throws Exception {
        create("a", """
                FROM stories260K.gguf
                TEMPLATE \"""{{ if .System }}{{ .System }} {{ end }}{{ .Prompt }}\"""
                PARAMETER top_k 5
                PARAMETER stop x
                MESSAGE user hello
                LICENSE MIT
                """);
        CliTest.Result mf = strata("show", "a", "--modelfile");
        assertEquals(0, mf.exit(), mf.err());
        assertTrue(mf.out().contains("PARAMETER top_k 5"), mf.out());
        create("b", mf.out());
        JsonNode list = new ObjectMapper().readTree(strata("list", "--json").out());
        assertEquals(2, list.get("models").size());
        assertEquals(list.get("models").get(0).get("digest").asText(), list.get("models").get(1).get("digest").asText(),
                list.toString());
    }

    @Test
    void aBadModelfileIsOneLineNamingTheLine() throws Exception {
        CliTest.Result r = strata("create", "x", "-f", modelfile("FROM stories260K.gguf\nPARAMETER temperature warm\n").toString());
        assertEquals(1, r.exit());
        assertEquals("strata: Modelfile line 2: PARAMETER temperature takes a number, got 'warm'", r.err().strip());
        assertEquals(0, blobCount());
    }

    @Test
    void aSafetensorsDirectoryIsConvertedAndRunsAsTheGolden() throws Exception {
        Path hf = Path.of(System.getProperty("strata.model.path.default"), "derived", "stories260K-hf").toAbsolutePath();
        CliTest.Result r = strata("create", "hf-stories", "-f", modelfile("FROM " + hf + "\n").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("converting " + hf + " to GGUF (F16)"), r.err());
        CliTest.Result run = strata("run", "hf-stories", "Once upon a time", "-n", "48", "--temperature", "0");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().startsWith(", there was a little girl named Lily."), run.out());
        assertEquals(0, strata("rm", "hf-stories").exit());
    }

    @Test
    void badNamesAndMissingModelsAreOneLineErrors() throws Exception {
        CliTest.Result badName = strata("create", "bad name!", "-f", modelfile("FROM stories260K.gguf").toString());
        assertEquals(1, badName.exit());
        assertTrue(badName.err().startsWith("strata: invalid model name \"bad name!\": model"), badName.err());

        CliTest.Result rm = strata("rm", "ghost");
        assertEquals(1, rm.exit());
        assertTrue(rm.err().startsWith("strata: model 'ghost:latest' not found"), rm.err());

        CliTest.Result cp = strata("cp", "ghost", "x");
        assertEquals(1, cp.exit());
        assertTrue(cp.err().contains("model 'ghost:latest' not found"), cp.err());

        CliTest.Result noFile = strata("create", "x", "-f", dir.resolve("nope").toString());
        assertEquals(1, noFile.exit());
        assertTrue(noFile.err().contains("no Modelfile at"), noFile.err());

        CliTest.Result mf = strata("show", "stories260K.gguf", "--modelfile");
        assertEquals(1, mf.exit());
        assertTrue(mf.err().contains("--modelfile needs a model in the store"), mf.err());
    }

    @Test
    void listWithAnEmptyStorePrintsOnlyTheHeader() {
        CliTest.Result r = strata("list");
        assertEquals(0, r.exit(), r.err());
        assertEquals(1, r.out().strip().lines().count(), r.out());
        assertTrue(r.out().strip().matches("NAME +ID +SIZE +MODIFIED"), r.out());
        assertFalse(Files.exists(dir.resolve("home")), "listing creates nothing");
    }
}
