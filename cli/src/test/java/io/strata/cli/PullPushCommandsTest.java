package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.store.MediaTypes;
import io.strata.model.store.ModelStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.strata.cli.CliTest.strata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code strata push} and {@code strata pull} end to end, in-process, against a real OCI registry (Debian's
 * docker-registry, started per test) and a loopback server laid out as the Hugging Face Hub; {@code strata run} on
 * what was pulled gives llama.cpp's greedy text.
 */
@Timeout(60)
class PullPushCommandsTest {
    @TempDir
    Path dir;

    private String previousHome;
    private String previousEndpoint;

    @BeforeEach
    void useATemporaryHome() {
        previousHome = System.getProperty(ModelStore.HOME_PROPERTY);
        previousEndpoint = System.getProperty("strata.hf.endpoint");
        System.setProperty(ModelStore.HOME_PROPERTY, dir.resolve("home").toString());
    }

    @AfterEach
    void restore() {
        restore(ModelStore.HOME_PROPERTY, previousHome);
        restore("strata.hf.endpoint", previousEndpoint);
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    private static String greedyReference() throws Exception {
        String ref = Files.readString(CliTest.golden("stories260K"), StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("(?m)^generated_text: \"(.*)\"$").matcher(ref);
        assertTrue(m.find());
        return m.group(1);
    }

    /** Eight greedy tokens are the start of llama.cpp's 48 (the round trip test checks all 48). */
    private static void assertStartOfGreedyText(String out) throws Exception {
        String text = out.stripTrailing();
        assertTrue(text.length() > 10 && greedyReference().startsWith(text), "stdout carries only the text: " + out);
    }

    private static Path model() {
        return Path.of(System.getProperty("strata.model.path.default"), "stories260K.gguf");
    }

    private long blobCount() throws Exception {
        Path blobs = dir.resolve("home/models/blobs");
        if (!Files.isDirectory(blobs)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(blobs)) {
            return s.filter(p -> p.getFileName().toString().startsWith("sha256-")).count();
        }
    }

    private DockerRegistry registry() throws Exception {
        Path binary = DockerRegistry.binary().orElse(null);
        Assumptions.assumeTrue(binary != null, "docker-registry is not installed (apt-get install docker-registry):"
                + " the OCI push/pull round trip against a real registry is skipped");
        return DockerRegistry.start(binary, Files.createDirectories(dir.resolve("registry")));
    }

    private void createTiny() throws Exception {
        Path mf = dir.resolve("Modelfile");
        Files.writeString(mf, """
                FROM stories260K.gguf
                TEMPLATE \"""{{ if .System }}{{ .System }} {{ end }}{{ .Prompt }}\"""
                SYSTEM You tell stories.
                PARAMETER temperature 0
                PARAMETER stop "<end>"
                LICENSE MIT
                """);
        CliTest.Result r = strata("create", "tiny", "-f", mf.toString());
        assertEquals(0, r.exit(), r.err());
    }

    private static String digestOf(String name) throws Exception {
        JsonNode list = new ObjectMapper().readTree(strata("list", "--json").out());
        for (JsonNode m : list.get("models")) {
            if (m.get("name").asText().equals(name)) {
                return m.get("digest").asText();
            }
        }
        throw new AssertionError(name + " is not in " + list);
    }

    @Test
    void pushThenPullThroughARealRegistryGivesBackTheSameModel() throws Exception {
        try (DockerRegistry registry = registry()) {
            createTiny();
            String id = digestOf("tiny:latest");
            String target = "oci://" + registry.authority() + "/strata/tiny:v1";
            CliTest.Result push = strata("push", "tiny", target);
            assertEquals(0, push.exit(), push.err());
            assertTrue(push.out().startsWith("pushed tiny:latest to " + target + " (sha256:"), push.out());
            assertEquals("", push.err(), "no progress when stderr is not a terminal");

            // what the registry holds: a ModelPack artifact whose weight layer is the GGUF
            try (HttpClient http = HttpClient.newHttpClient()) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + registry.authority()
                                + "/v2/strata/tiny/manifests/v1")).header("Accept", MediaTypes.OCI_MANIFEST)
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                JsonNode m = new ObjectMapper().readTree(r.body());
                assertEquals(MediaTypes.MODELPACK_ARTIFACT, m.get("artifactType").asText());
                assertEquals(MediaTypes.MODELPACK_CONFIG, m.get("config").get("mediaType").asText());
                JsonNode weight = m.get("layers").get(0);
                assertEquals(MediaTypes.MODELPACK_WEIGHT_RAW, weight.get("mediaType").asText());
                assertEquals("model.gguf", weight.get("annotations").get(MediaTypes.ANNOTATION_FILEPATH).asText());
                assertEquals(Files.size(model()), weight.get("size").asLong());
            }

            assertEquals(0, strata("rm", "tiny").exit());
            assertEquals(0, blobCount(), "nothing left locally");
            CliTest.Result pull = strata("pull", target, "--name", "tiny");
            assertEquals(0, pull.exit(), pull.err());
            assertEquals("pulled tiny:latest", pull.out().strip());
            assertEquals(id, digestOf("tiny:latest"), "the same manifest, byte for byte");

            JsonNode show = new ObjectMapper().readTree(strata("show", "tiny", "--json").out());
            assertEquals("You tell stories.", show.get("stored").get("system").asText());
            assertEquals("<end>", show.get("stored").get("parameters").get("stop").get(0).asText());
            CliTest.Result run = strata("run", "tiny", "Once upon a time", "-n", "48", "--temperature", "0");
            assertEquals(0, run.exit(), run.err());
            assertEquals(greedyReference(), run.out().stripTrailing());

            CliTest.Result again = strata("push", "tiny", target);
            assertEquals(0, again.exit(), "a second push sends only what the registry lacks: " + again.err());
        }
    }

    @Test
    void runPullsAnOciReferenceFirstAndKeepsItInTheStore() throws Exception {
        try (DockerRegistry registry = registry()) {
            createTiny();
            String target = "oci://" + registry.authority() + "/strata/tiny:v2";
            assertEquals(0, strata("push", "tiny", target).exit());
            assertEquals(0, strata("rm", "tiny").exit());

            CliTest.Result run = strata("run", target, "Once upon a time", "-n", "8", "--temperature", "0");
            assertEquals(0, run.exit(), run.err());
            assertStartOfGreedyText(run.out());
            assertTrue(strata("list").out().contains(registry.authority() + "/strata/tiny:v2"));
            long blobs = blobCount();
            assertEquals(0, strata("run", target, "Once", "-n", "1", "--temperature", "0").exit(), "a second run uses the store");
            assertEquals(blobs, blobCount());
        }
    }

    @Test
    void pullFromAHubLayoutThenRunIt() throws Exception {
        try (HubServer hub = new HubServer()) {
            hub.put("ggml-org/models/tinyllamas/stories260K.gguf", Files.readAllBytes(model()));
            System.setProperty("strata.hf.endpoint", hub.endpoint());
            CliTest.Result pull = strata("pull", "hf://ggml-org/models/tinyllamas/stories260K.gguf");
            assertEquals(0, pull.exit(), pull.err());
            assertEquals("pulled hf.co/ggml-org/models:stories260K", pull.out().strip());
            CliTest.Result run = strata("run", "hf.co/ggml-org/models:stories260K", "Once upon a time", "-n", "8",
                    "--temperature", "0");
            assertEquals(0, run.exit(), run.err());
            assertStartOfGreedyText(run.out());
        }
    }

    @Test
    void createFromAPullReferencePullsItIntoTheStoreAndBuildsOnIt() throws Exception {
        try (HubServer hub = new HubServer()) {
            hub.put("ggml-org/models/tinyllamas/stories260K.gguf", Files.readAllBytes(model()));
            System.setProperty("strata.hf.endpoint", hub.endpoint());
            Path mf = dir.resolve("Modelfile");
            Files.writeString(mf, "FROM hf://ggml-org/models/tinyllamas/stories260K.gguf\nPARAMETER temperature 0\n"
                    + "PARAMETER num_predict 8\n");
            CliTest.Result create = strata("create", "fromhub", "-f", mf.toString());
            assertEquals(0, create.exit(), create.err());
            assertEquals("created fromhub:latest", create.out().strip());
            String list = strata("list").out();
            assertTrue(list.contains("hf.co/ggml-org/models:stories260K") && list.contains("fromhub:latest"), list);
            CliTest.Result run = strata("run", "fromhub", "Once upon a time");
            assertEquals(0, run.exit(), run.err());
            assertStartOfGreedyText(run.out());

            // stored now: a second create builds on the stored copy and downloads nothing (the hub would corrupt it)
            hub.corrupt = true;
            CliTest.Result again = strata("create", "fromhub2", "-f", mf.toString());
            assertEquals(0, again.exit(), again.err());
            assertEquals(digestOf("fromhub:latest"), digestOf("fromhub2:latest"));

            Files.writeString(mf, "FROM hf://ggml-org/models/nope.gguf\n");
            CliTest.Result missing = strata("create", "nope", "-f", mf.toString());
            assertEquals(1, missing.exit());
            assertEquals("strata: Modelfile line 1: FROM hf://ggml-org/models/nope.gguf: hf://ggml-org/models/nope.gguf:"
                    + " HTTP 404 EntryNotFound: Entry not found", missing.err().strip().lines().reduce((x, y) -> y).orElse(""),
                    "the error is the last line, after the progress lines");
        }
    }

    @Test
    void pullOfWrongBytesFailsInOneLineAndStoresNothing() throws Exception {
        try (HubServer hub = new HubServer()) {
            hub.put("ggml-org/models/stories260K.gguf", Files.readAllBytes(model()));
            hub.corrupt = true;
            System.setProperty("strata.hf.endpoint", hub.endpoint());
            CliTest.Result pull = strata("pull", "hf://ggml-org/models/stories260K.gguf");
            assertEquals(1, pull.exit());
            assertTrue(pull.err().startsWith("strata: digest mismatch for stories260K.gguf from " + hub.endpoint()), pull.err());
            assertEquals(1, pull.err().strip().lines().count(), pull.err());
            assertEquals(0, blobCount());
            assertEquals(1, strata("list").out().lines().count(), "only the header line");

            CliTest.Result missing = strata("pull", "hf://ggml-org/models/nope.gguf");
            assertEquals("strata: hf://ggml-org/models/nope.gguf: HTTP 404 EntryNotFound: Entry not found", missing.err().strip());
        }
    }

    @Test
    void pullOfAFileImportsIt() throws Exception {
        CliTest.Result pull = strata("pull", "file://" + model(), "--name", "me/local:v1");
        assertEquals(0, pull.exit(), pull.err());
        assertEquals("pulled me/local:v1", pull.out().strip());
        assertEquals(1, blobCount() - 1, "the GGUF and its config");
    }

    @Test
    void pushNeedsAnOciTarget() {
        CliTest.Result r = strata("push", "tiny", "hf://a/b/c.gguf");
        assertEquals(1, r.exit());
        assertEquals("strata: push takes an oci://REGISTRY/REPOSITORY:TAG target, not hf://a/b/c.gguf", r.err().strip());
    }
}
