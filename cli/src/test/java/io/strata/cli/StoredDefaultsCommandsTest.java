package io.strata.cli;

import io.strata.model.store.ModelStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.strata.cli.CliTest.strata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code strata run} and {@code strata serve} on stored models: the Modelfile's PARAMETERs are the defaults a flag
 * overrides, and TEMPLATE, SYSTEM and MESSAGE shape the interactive chat. The oracle is {@code strata run} on the
 * plain GGUF with every option spelled out.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StoredDefaultsCommandsTest {
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

    private void create(String name, String modelfileText) throws Exception {
        Path p = Files.createTempFile(dir, "Modelfile", "");
        Files.writeString(p, modelfileText);
        CliTest.Result r = strata("create", name, "-f", p.toString());
        assertEquals(0, r.exit(), r.err());
    }

    private static String run(String... args) {
        CliTest.Result r = strata(args);
        assertEquals(0, r.exit(), r.err());
        return r.out().stripTrailing();
    }

    private static String golden() throws Exception {
        String ref = Files.readString(CliTest.golden("stories260K"), StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("(?m)^generated_text: \"(.*)\"$").matcher(ref);
        assertTrue(m.find());
        return m.group(1);
    }

    @Test
    void runTakesTheStoredParametersAndEachFlagOverridesThem() throws Exception {
        String golden = golden();
        create("greedy", "FROM stories260K.gguf\nPARAMETER temperature 0\nPARAMETER num_predict 12\nPARAMETER stop Lily\n");
        String twelve = run("run", "stories260K.gguf", "Once upon a time", "-n", "12", "--temperature", "0");
        assertTrue(twelve.contains("Lily"), twelve);

        assertEquals(golden.substring(0, golden.indexOf("Lily")).stripTrailing(), run("run", "greedy", "Once upon a time"),
                "temperature 0 and the stop string are the model's");
        assertEquals(twelve, run("run", "greedy", "Once upon a time", "--stop", "xyz"),
                "num_predict 12 is the model's; --stop replaces its stop strings");
        assertEquals(golden.substring(0, golden.indexOf("park")).stripTrailing(),
                run("run", "greedy", "Once upon a time", "-n", "48", "--stop", "park"), "-n overrides num_predict");
        assertNotEquals(twelve, run("run", "greedy", "Once upon a time", "--stop", "xyz", "--temperature", "1.5",
                "--top-k", "0", "--top-p", "1", "--min-p", "0", "--seed", "3"), "--temperature overrides temperature");
    }

    @Test
    void aStoredSeedAndTemperatureGiveTheSameDrawAsTheFlags() throws Exception {
        create("seeded", "FROM stories260K.gguf\nPARAMETER temperature 1.5\nPARAMETER seed 5\nPARAMETER top_k 0\n");
        String flags = run("run", "stories260K.gguf", "Once upon a time", "-n", "16", "--temperature", "1.5", "--seed", "5",
                "--top-k", "0");
        assertEquals(flags, run("run", "seeded", "Once upon a time", "-n", "16"));
        assertNotEquals(flags, run("run", "seeded", "Once upon a time", "-n", "16", "--seed", "6"), "--seed overrides seed");
    }

    @Test
    void theInteractiveChatRendersTheStoredTemplateWithItsSystemPromptAndMessages() throws Exception {
        create("chatty", """
                FROM stories260K.gguf
                TEMPLATE "{{ range .Messages }}[{{ .Role }}] {{ .Content }} {{ end }}[assistant]"
                SYSTEM You tell stories.
                MESSAGE user Hi
                MESSAGE assistant Hello
                PARAMETER temperature 0
                PARAMETER num_predict 6
                """);
        String expected = run("run", "stories260K.gguf", "[system] You tell stories. [user] Hi [assistant] Hello [user] "
                + "Tell me a story [assistant]", "-n", "6", "--temperature", "0");
        CliTest.Result chat = chat("Tell me a story\n\n", "run", "chatty");
        assertEquals(0, chat.exit(), chat.err());
        assertEquals(expected, chat.out().stripTrailing());
        assertFalse(chat.err().contains("no chat template"), chat.err());

        String own = run("run", "stories260K.gguf", "[user] Hi [assistant] Hello [system] Be brief. [user] Tell me a story "
                + "[assistant]", "-n", "6", "--temperature", "0");
        CliTest.Result replaced = chat("Tell me a story\n\n", "run", "chatty", "--system", "Be brief.");
        assertEquals(own, replaced.out().stripTrailing(), "--system replaces the model's SYSTEM");
    }

    private static CliTest.Result chat(String stdin, String... args) {
        InputStream old = System.in;
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            return strata(args);
        } finally {
            System.setIn(old);
        }
    }

    @Test
    void serveTakesTheStoredNumCtxUnlessCtxSizeIsGiven() throws Exception {
        create("short", "FROM stories260K.gguf\nPARAMETER num_ctx 96\n");
        assertTrue(firstServeLine("short").contains("1 slots of 96 tokens"));
        assertTrue(firstServeLine("short", "--ctx-size", "64").contains("1 slots of 64 tokens"));
    }

    @Test
    void serveLoadsAnotherStoredModelOnDemandWithinItsLimitAndKeepAlive() throws Exception {
        create("other", "FROM stories260K-Q5_1-mix.gguf\nPARAMETER temperature 0\nPARAMETER num_predict 8\n");
        Matcher golden = Pattern.compile("(?m)^generated_text: \"(.*)\"$").matcher(
                Files.readString(CliTest.golden("stories260K-Q5_1-mix"), StandardCharsets.ISO_8859_1));
        assertTrue(golden.find());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-D" + ModelStore.HOME_PROPERTY + "=" + dir.resolve("home"),
                "-cp", System.getProperty("java.class.path"), "io.strata.cli.Main", "serve", "stories260K",
                "--port", "0", "--parallel", "1", "--ctx-size", "128", "--max-loaded-models", "1", "--keep-alive", "0"));
        String defaultPath = System.getProperty("strata.model.path.default");
        if (defaultPath != null) {
            cmd.add(1, "-Dstrata.model.path.default=" + defaultPath);
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertNotNull(line, "serve printed nothing");
            Matcher url = Pattern.compile("serving stories260K on (http://\\S+)").matcher(line);
            assertTrue(url.find(), line);
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(url.group(1) + "/api/generate")).timeout(java.time.Duration.ofSeconds(60))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"other\",\"prompt\":\"Once upon a time\",\"raw\":true,\"stream\":false}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            com.fasterxml.jackson.databind.JsonNode body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
            assertEquals(8, body.get("eval_count").asInt(), "the stored num_predict");
            String text = body.get("response").asText().stripLeading();
            assertTrue(text.length() > 10 && golden.group(1).startsWith(text), text);
            // stories260K made room for it (one model at most) and --keep-alive 0 unloaded it after the request
            String ps = "";
            for (int i = 0; i < 250 && !ps.equals("{\"models\":[]}"); i++) {
                Thread.sleep(20);
                ps = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url.group(1) + "/api/ps")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            }
            assertEquals("{\"models\":[]}", ps);
        } finally {
            p.destroy();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "serve stops on SIGTERM");
        }
    }

    @Test
    void serveRefusesAKeepAliveThatIsNotADuration() {
        CliTest.Result r = strata("serve", "stories260K", "--keep-alive", "soon", "--port", "0");
        assertEquals(1, r.exit());
        assertEquals("strata: --keep-alive 'soon' is not a duration (e.g. 5m, 1h30m, 90s, 0, -1)", r.err().strip());
    }

    /** Starts {@code strata serve} as a process over this test's store and returns the line it prints. */
    private String firstServeLine(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-D" + ModelStore.HOME_PROPERTY + "=" + dir.resolve("home"),
                "-cp", System.getProperty("java.class.path"), "io.strata.cli.Main", "serve"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--port", "0", "--parallel", "1"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertNotNull(line, "serve printed nothing");
            return line;
        } finally {
            p.destroy();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        }
    }
}
