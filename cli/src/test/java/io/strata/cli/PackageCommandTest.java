package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.cli.pack.ModelPackager;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelStore;
import io.strata.model.store.PackagedModel;
import io.strata.model.store.StoreException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static io.strata.cli.CliTest.strata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code strata package} end to end: stories260K packaged with the real runtime, then run and served by a plain
 * {@code java -jar} process (no flags, no model path, an empty home), checked against llama.cpp's greedy text.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PackageCommandTest {
    @TempDir
    static Path dir;
    static Path jar;
    static String golden;

    @TempDir
    Path own;

    @BeforeAll
    static void packageStories260K() throws Exception {
        String ref = Files.readString(CliTest.golden("stories260K"), StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("(?m)^generated_text: \"(.*)\"$").matcher(ref);
        assertTrue(m.find());
        golden = m.group(1);
        jar = dir.resolve("stories.jar");
        CliTest.Result r = strata("package", "stories260K", "-o", jar.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("wrote " + jar), r.out());
    }

    @AfterEach
    void forgetThePackage() {
        System.clearProperty(PackagedModel.PROPERTY);
        System.clearProperty(ModelStore.HOME_PROPERTY);
    }

    /** {@code java -jar JAR args} as a user types it, where nothing but the jar can supply the model. */
    private static Process javaJar(Path jarFile, String... args) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jarFile.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(empty.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put(ModelLocator.ENV, empty.toString());
        pb.environment().put(ModelStore.HOME_ENV, empty.resolve("home").toString());
        pb.environment().remove("JDK_JAVA_OPTIONS");
        return pb.start();
    }

    @Test
    void javaDashJarRunGivesLlamaCppsGreedyText() throws Exception {
        Process p = javaJar(jar, "run", "Once upon a time", "-n", "48", "--temperature", "0");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals(golden, out.stripTrailing());
    }

    @Test
    void javaDashJarServesTheModelAndStopsWithItsLauncher() throws Exception {
        Process p = javaJar(jar, "--port", "0", "--parallel", "1", "--ctx-size", "128");
        List<ProcessHandle> relaunched = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertNotNull(line, "the jar printed nothing");
            Matcher url = Pattern.compile("serving stories260K on (http://\\S+)").matcher(line);
            assertTrue(url.find(), line);
            p.descendants().forEach(relaunched::add);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(url.group(1) + "/v1/completions")).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\","
                            + "\"max_tokens\":48,\"temperature\":0}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = new ObjectMapper().readTree(r.body());
            assertEquals(golden, body.get("choices").get(0).get("text").asText().stripTrailing());
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the jar stops on SIGTERM");
        }
        assertFalse(relaunched.isEmpty(), "a plain java -jar relaunches with the Vector API module");
        for (ProcessHandle h : relaunched) {
            h.onExit().get(20, TimeUnit.SECONDS);
            assertFalse(h.isAlive(), "the serving JVM stops with its launcher");
        }
    }

    @Test
    void theJarHoldsTheGgufUncompressedOnAPageBoundaryAndTheFlagsJavaDashJarNeeds() throws Exception {
        Path source = ModelLocator.fromEnvironment().locate("stories260K.gguf");
        PackagedModel pkg = PackagedModel.open(jar);
        assertEquals("stories260K", pkg.name());
        assertEquals(0, pkg.offset() % PackagedModel.ALIGNMENT);
        assertEquals(Files.size(source), pkg.length());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(source))),
                pkg.sha256());
        try (ZipFile z = new ZipFile(jar.toFile())) {
            assertEquals(ZipEntry.STORED, z.getEntry(PackagedModel.GGUF_ENTRY).getMethod());
            assertNotNull(z.getEntry("io/strata/cli/Main.class"));
            assertNotNull(z.getEntry("io/vertx/core/Vertx.class"), "the dependencies are in the jar");
            String factories = new String(z.getInputStream(z.getEntry("META-INF/services/com.fasterxml.jackson.core"
                    + ".JsonFactory")).readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(factories.contains("com.fasterxml.jackson.core.JsonFactory")
                    && factories.contains("com.fasterxml.jackson.dataformat.yaml.YAMLFactory"),
                    "service files of several jars are merged: " + factories);
        }
        try (Arena arena = Arena.ofConfined();
             FileChannel a = FileChannel.open(jar, StandardOpenOption.READ);
             FileChannel b = FileChannel.open(source, StandardOpenOption.READ)) {
            MemorySegment inJar = a.map(FileChannel.MapMode.READ_ONLY, pkg.offset(), pkg.length(), arena);
            MemorySegment file = b.map(FileChannel.MapMode.READ_ONLY, 0, b.size(), arena);
            assertEquals(-1, inJar.mismatch(file), "the jar's bytes at the offset are the GGUF's");
        }
        try (JarFile j = new JarFile(jar.toFile())) {
            Manifest m = j.getManifest();
            assertEquals("io.strata.cli.pack.PackageLauncher", m.getMainAttributes().getValue("Main-Class"));
            assertEquals("ALL-UNNAMED", m.getMainAttributes().getValue("Enable-Native-Access"));
            assertTrue(m.getMainAttributes().getValue("Add-Opens").contains("java.base/java.lang"));
            assertTrue(m.getMainAttributes().getValue("Strata-Jvm-Flags").contains("--add-modules jdk.incubator.vector"));
        }
    }

    /** A stored model packaged without the runtime (fast) and resolved in-process as the launcher resolves it. */
    @Test
    void aStoredModelsDefaultsTravelInThePackage() throws Exception {
        System.setProperty(ModelStore.HOME_PROPERTY, own.resolve("home").toString());
        Path modelfile = own.resolve("Modelfile");
        Files.writeString(modelfile, "FROM stories260K.gguf\nPARAMETER temperature 0\nPARAMETER stop Lily\n"
                + "SYSTEM You tell stories.\n");
        assertEquals(0, strata("create", "tuned", "-f", modelfile.toString()).exit());
        Path tuned = own.resolve("tuned.jar");
        CliTest.Result r = packageWithoutRuntime("tuned", tuned);
        assertEquals(0, r.exit(), r.err());
        System.setProperty(ModelStore.HOME_PROPERTY, own.resolve("other-home").toString()); // the store is gone
        System.setProperty(PackagedModel.PROPERTY, tuned.toString());
        CliTest.Result run = strata("run", "tuned", "Once upon a time");
        assertEquals(0, run.exit(), run.err());
        assertEquals(golden.substring(0, golden.indexOf("Lily")).stripTrailing(), run.out().stripTrailing(),
                "temperature 0 and the stop string came with the jar");
        JsonNode show = new ObjectMapper().readTree(strata("show", "tuned", "--json").out());
        assertEquals("You tell stories.", show.get("packaged").get("system").asText());
        assertEquals(0, show.get("packaged").get("offset").asLong() % PackagedModel.ALIGNMENT);
        CliTest.Result tokenize = strata("tokenize", "tuned", "hi");
        assertEquals(0, tokenize.exit(), tokenize.err());
        assertEquals(strata("tokenize", "stories260K.gguf", "hi").out(), tokenize.out(), "the packaged GGUF's tokenizer");
    }

    /** A Hugging Face directory is converted on the way in (F16, as create imports it) and runs from the jar. */
    @Test
    void aHuggingFaceDirectoryIsPackagedAsItsGgufConversion() throws Exception {
        Path hf = Path.of(System.getProperty("strata.model.path.default"), "derived", "stories260K-hf").toAbsolutePath();
        Path jar = own.resolve("hf.jar");
        CliTest.Result r = packageWithoutRuntime(hf.toString(), jar);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("stories260K-hf"), "packaged under the directory's name: " + r.out());
        try (var leftovers = Files.list(own)) {
            assertEquals(List.of(), leftovers.filter(p -> p.getFileName().toString().startsWith(".strata-package-")).toList(),
                    "the temporary conversion is deleted");
        }
        System.setProperty(PackagedModel.PROPERTY, jar.toString());
        CliTest.Result run = strata("run", "stories260K-hf", "Once upon a time", "-n", "48", "--temperature", "0");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().startsWith(", there was a little girl named Lily."), run.out());
        CliTest.Result notAModel = packageWithoutRuntime(own.toString(), own.resolve("x.jar"));
        assertEquals(1, notAModel.exit());
        assertTrue(notAModel.err().contains("not a Hugging Face model"), notAModel.err());
    }

    @Test
    void aJarRewrittenWithTheModelCompressedIsRefusedWithTheReason() throws Exception {
        Path small = own.resolve("small.jar");
        assertEquals(0, packageWithoutRuntime("stories260K", small).exit());
        Path rewritten = own.resolve("rewritten.jar");
        try (ZipFile in = new ZipFile(small.toFile());
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(rewritten))) {
            Enumeration<? extends ZipEntry> all = in.entries();
            while (all.hasMoreElements()) {
                ZipEntry e = all.nextElement();
                out.putNextEntry(new ZipEntry(e.getName()));
                try (InputStream s = in.getInputStream(e)) {
                    s.transferTo(out);
                }
                out.closeEntry();
            }
        }
        StoreException e = assertThrows(StoreException.class, () -> PackagedModel.open(rewritten));
        assertTrue(e.getMessage().contains("compressed") && e.getMessage().contains("Package the model again"),
                e.getMessage());
        StoreException missing = assertThrows(StoreException.class, () -> PackagedModel.open(own.resolve("missing.jar")));
        assertTrue(missing.getMessage().contains("missing.jar"), missing.getMessage());
    }

    /** The model part of a package only: quick, for tests that never start the jar. */
    private static CliTest.Result packageWithoutRuntime(String model, Path out) {
        String runtime = System.getProperty(ModelPackager.RUNTIME_PROPERTY);
        try {
            System.setProperty(ModelPackager.RUNTIME_PROPERTY, "");
            return strata("package", model, "-o", out.toString());
        } finally {
            if (runtime == null) {
                System.clearProperty(ModelPackager.RUNTIME_PROPERTY);
            } else {
                System.setProperty(ModelPackager.RUNTIME_PROPERTY, runtime);
            }
        }
    }

    @Test
    void anOutputThatIsNotAJarIsRefused() {
        CliTest.Result r = strata("package", "stories260K", "-o", dir.resolve("model.zip").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("must end in .jar"), r.err());
    }
}
