package io.strata.model.remote;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.store.Digest;
import io.strata.model.store.Layer;
import io.strata.model.store.Manifest;
import io.strata.model.store.MediaTypes;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import io.strata.model.store.ResolvedModel;
import io.strata.model.store.StoredModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pulls from real loopback servers laid out as the Hugging Face Hub (resolve URLs answered with a redirect to a CDN
 * on another port, X-Linked-Etag and X-Linked-Size on the redirect) and as the Ollama registry (Docker v2 manifest,
 * blobs by digest, a Bearer token challenge), each into a fresh store.
 */
@Timeout(30)
class PullTest {
    private static final String GGUF_PATH = "/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf";

    @TempDir
    Path home;

    private final byte[] gguf = Payload.bytes();
    private final Digest digest = Digest.of(gguf);
    private final List<AutoCloseable> servers = new ArrayList<>();
    private ModelStore store;

    @BeforeEach
    void store() {
        store = ModelStore.inHome(home);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : servers) {
            c.close();
        }
    }

    private LoopbackHttpServer server() throws Exception {
        LoopbackHttpServer s = new LoopbackHttpServer();
        servers.add(s);
        return s;
    }

    private RemoteSettings settings(LoopbackHttpServer hub, String token) {
        return RemoteSettings.fromEnvironment().withHf(URI.create("http://" + hub.authority()), token)
                .withDownload(DownloadOptions.DEFAULT.withRetries(3, Duration.ofMillis(20), Duration.ofSeconds(5)));
    }

    /** The Hub answers with a redirect carrying the metadata; the CDN (another origin) serves the bytes. */
    private LoopbackHttpServer.Faults hubWithCdn(LoopbackHttpServer hub, LoopbackHttpServer cdn, String path) {
        LoopbackHttpServer.Faults faults = cdn.file("/lfs/" + digest.hex(), gguf, Map.of());
        hub.redirect(path, 302, cdn.uri("/lfs/" + digest.hex() + "?X-Amz-Signature=abc"), Map.of(
                "X-Linked-Etag", "\"" + digest.hex() + "\"", "X-Linked-Size", Integer.toString(gguf.length),
                "X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567", "ETag", "\"5e3a2b\""));
        return faults;
    }

    private void assertStoreUntouched() throws Exception {
        assertTrue(store.list().models().isEmpty(), "no model");
        assertTrue(store.blobs().all().isEmpty(), "no blob");
        if (Files.isDirectory(store.partialDir())) {
            try (Stream<Path> s = Files.list(store.partialDir())) {
                assertEquals(List.of(), s.filter(p -> !p.toString().endsWith(".plan") && !p.toString().endsWith(".partial")).toList());
            }
        }
    }

    @Test
    void hfPullStoresTheFileVerifiedByItsLinkedEtagAndKeepsTheTokenOffTheCdn() throws Exception {
        LoopbackHttpServer hub = server();
        LoopbackHttpServer cdn = server();
        hubWithCdn(hub, cdn, GGUF_PATH);
        ModelReference ref = ModelReference.parse("hf://ggml-org/models/tinyllamas/stories260K.gguf");
        StoredModel m = new ModelPuller(store, settings(hub, "hf_secret"), TransferListener.QUIET).pull(ref, null);

        assertEquals("hf.co/ggml-org/models:stories260K", m.name().displayShortest());
        Layer model = m.manifest().layer(MediaTypes.MODEL).orElseThrow();
        assertEquals(digest, model.digest());
        assertArrayEquals(gguf, Files.readAllBytes(store.modelFile(m)));
        String config = store.readText(m.manifest().config());
        assertTrue(config.contains("\"model_family\":\"llama\""), config);

        assertEquals("Bearer hf_secret", hub.hits("HEAD", GGUF_PATH).getFirst().authorization());
        assertEquals("Bearer hf_secret", hub.hits("GET", GGUF_PATH).getFirst().authorization());
        assertNull(cdn.hits("GET", "/lfs/" + digest.hex()).getFirst().authorization(), "the token never reaches the CDN");

        ResolvedModel resolved = new ModelLocator(store, List.of()).resolve("hf.co/ggml-org/models:stories260K");
        assertEquals(store.modelFile(m), resolved.gguf(), "the pulled name resolves through the store");
    }

    @Test
    void hfRevisionIsOneEncodedPathSegment() throws Exception {
        LoopbackHttpServer hub = server();
        LoopbackHttpServer cdn = server();
        hubWithCdn(hub, cdn, "/ggml-org/models/resolve/refs%2Fpr%2F1/stories260K.gguf");
        ModelReference ref = ModelReference.parse("hf://ggml-org/models@refs%2Fpr%2F1/stories260K.gguf");
        StoredModel m = new ModelPuller(store, settings(hub, null), TransferListener.QUIET).pull(ref, ModelName.parse("pr1"));
        assertEquals("pr1:latest", m.name().displayShortest());
        assertNull(hub.hits().getFirst().authorization(), "no token, no header");
    }

    @Test
    void hfMissingFileIsRefusedWithTheHubsErrorCode() throws Exception {
        LoopbackHttpServer hub = server();
        hub.document("/ggml-org/models/resolve/main/nope.gguf", 404, "text/plain", "Entry not found".getBytes(),
                Map.of("X-Error-Code", "EntryNotFound", "X-Error-Message", "Entry not found"));
        TransferException e = assertThrows(TransferException.class, () -> new ModelPuller(store, settings(hub, null),
                TransferListener.QUIET).pull(ModelReference.parse("hf://ggml-org/models/nope.gguf"), null));
        assertEquals("hf://ggml-org/models/nope.gguf: HTTP 404 EntryNotFound: Entry not found", e.getMessage());
        assertStoreUntouched();
    }

    @Test
    void hfCdnCuttingTheConnectionMidBlobIsResumedAndTheResultVerifies() throws Exception {
        LoopbackHttpServer hub = server();
        LoopbackHttpServer cdn = server();
        LoopbackHttpServer.Faults f = hubWithCdn(hub, cdn, GGUF_PATH);
        f.dropAfter = gguf.length / 3;
        f.dropsLeft.set(2);
        List<String> steps = new ArrayList<>();
        StoredModel m = new ModelPuller(store, settings(hub, null), listener(steps))
                .pull(ModelReference.parse("hf://ggml-org/models/tinyllamas/stories260K.gguf"), null);
        assertEquals(digest, m.manifest().layer(MediaTypes.MODEL).orElseThrow().digest());
        List<String> ranges = cdn.hits("GET", "/lfs/" + digest.hex()).stream().map(LoopbackHttpServer.Hit::range).toList();
        assertEquals(3, ranges.size(), "the whole file, then two resumes: " + ranges);
        long resumedAt = BlobDownloaderTest.rangeStart(ranges.get(1));
        assertTrue(resumedAt > 0 && resumedAt <= gguf.length / 3, ranges.toString());
        assertTrue(BlobDownloaderTest.rangeStart(ranges.get(2)) > resumedAt, "the second resume starts further on: " + ranges);
        assertTrue(steps.stream().anyMatch(s -> s.startsWith("retrying tinyllamas/stories260K.gguf from byte " + resumedAt)), steps.toString());
        assertTrue(steps.contains("verifying sha256 digest") && steps.getLast().equals("success"), steps.toString());
    }

    @Test
    void hfCdnServingWrongBytesIsRefusedAndTheStoreIsUntouched() throws Exception {
        LoopbackHttpServer hub = server();
        LoopbackHttpServer cdn = server();
        hubWithCdn(hub, cdn, GGUF_PATH).corruptAt = 1000;
        TransferException e = assertThrows(TransferException.class, () -> new ModelPuller(store, settings(hub, null),
                TransferListener.QUIET).pull(ModelReference.parse("hf://ggml-org/models/tinyllamas/stories260K.gguf"), null));
        assertTrue(e.getMessage().startsWith("digest mismatch for tinyllamas/stories260K.gguf"), e.getMessage());
        assertTrue(e.getMessage().contains("expected " + digest), e.getMessage());
        assertStoreUntouched();
    }

    @Test
    void urlPullChecksTheSha256InTheFragment() throws Exception {
        LoopbackHttpServer web = server();
        web.file("/files/stories260K.gguf", gguf, Map.of());
        String url = web.uri("/files/stories260K.gguf").toString();
        StoredModel m = new ModelPuller(store, settings(web, null), TransferListener.QUIET)
                .pull(ModelReference.parse(url + "#sha256=" + digest.hex()), null);
        assertEquals(web.authority() + "/library/stories260K:latest", m.name().toString().substring(0, 0) + m.name().host()
                + "/" + m.name().namespace() + "/" + m.name().model() + ":" + m.name().tag());
        String wrong = "0".repeat(64);
        TransferException e = assertThrows(TransferException.class, () -> new ModelPuller(store, settings(web, null),
                TransferListener.QUIET).pull(ModelReference.parse(url + "#sha256=" + wrong), ModelName.parse("other")));
        assertTrue(e.getMessage().contains("expected sha256:" + wrong), e.getMessage());
        assertEquals(1, store.list().models().size(), "the refused pull added nothing");
    }

    @Test
    void aFileThatIsNotAGgufIsRefused() throws Exception {
        LoopbackHttpServer hub = server();
        byte[] text = "{\"architectures\": [\"LlamaForCausalLM\"]}".getBytes(StandardCharsets.UTF_8);
        hub.file("/org/repo/resolve/main/config.json", text, Map.of());
        TransferException e = assertThrows(TransferException.class, () -> new ModelPuller(store, settings(hub, null),
                TransferListener.QUIET).pull(ModelReference.parse("hf://org/repo/config.json"), null));
        assertTrue(e.getMessage().contains("is not a GGUF model Strata can read"), e.getMessage());
        assertStoreUntouched();
    }

    /** An Ollama registry: manifest and blobs behind a Bearer token from its realm. */
    private Manifest ollamaRegistry(LoopbackHttpServer reg, String repo) throws Exception {
        byte[] template = "{{ if .System }}{{ .System }} {{ end }}{{ .Prompt }}".getBytes(StandardCharsets.UTF_8);
        byte[] params = "{\"stop\":[\"<end>\"],\"temperature\":0}".getBytes(StandardCharsets.UTF_8);
        byte[] system = "You tell stories.".getBytes(StandardCharsets.UTF_8);
        byte[] config = "{\"model_format\":\"gguf\",\"model_family\":\"llama\"}".getBytes(StandardCharsets.UTF_8);
        Manifest m = new Manifest(layer(MediaTypes.CONFIG, config), List.of(layer(MediaTypes.MODEL, gguf),
                layer(MediaTypes.TEMPLATE, template), layer(MediaTypes.PARAMS, params), layer(MediaTypes.SYSTEM, system)));
        Map<String, String> challenge = Map.of("WWW-Authenticate", "Bearer realm=\"http://" + reg.authority()
                + "/token\",service=\"test-registry\",scope=\"repository:" + repo + ":pull\"");
        guarded(reg, "/v2/" + repo + "/manifests/latest", challenge, MediaTypes.MANIFEST, m.toBytes());
        for (byte[] blob : List.of(config, gguf, template, params, system)) {
            guarded(reg, "/v2/" + repo + "/blobs/" + Digest.of(blob), challenge, "application/octet-stream", blob);
        }
        reg.handler("/token", ex -> {
            String q = ex.getRequestURI().getQuery();
            boolean ok = q.contains("service=test-registry") && q.contains("scope=repository:" + repo + ":pull");
            LoopbackHttpServer.send(ex, ok ? 200 : 400, "application/json",
                    (ok ? "{\"token\":\"tok-1\",\"expires_in\":300}" : "{}").getBytes(), Map.of());
        });
        return m;
    }

    private static void guarded(LoopbackHttpServer reg, String path, Map<String, String> challenge, String type, byte[] body) {
        reg.handler(path, ex -> {
            if (!"Bearer tok-1".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                LoopbackHttpServer.send(ex, 401, "application/json",
                        "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes(), challenge);
                return;
            }
            LoopbackHttpServer.send(ex, 200, type, body, Map.of("Docker-Content-Digest", Digest.of(body).toString()));
        });
    }

    private static Layer layer(String type, byte[] bytes) {
        return new Layer(type, Digest.of(bytes), bytes.length);
    }

    @Test
    void ollamaPullBringsTheTemplateParametersAndSystemPromptAlong() throws Exception {
        LoopbackHttpServer reg = server();
        Manifest remote = ollamaRegistry(reg, "library/stories");
        ModelReference ref = ModelReference.parse("ollama://" + reg.authority() + "/library/stories");
        StoredModel m = new ModelPuller(store, settings(reg, null), TransferListener.QUIET).pull(ref, null);

        assertEquals(reg.authority() + "/library/stories:latest", m.name().toString());
        assertEquals(remote, m.manifest(), "every layer, and the config, as the registry has them");
        assertEquals("You tell stories.", store.readText(m.manifest().layer(MediaTypes.SYSTEM).orElseThrow()));
        assertEquals(0, new ObjectMapper().readTree(store.readText(m.manifest().layer(MediaTypes.PARAMS).orElseThrow()))
                .get("temperature").asInt());
        assertArrayEquals(gguf, Files.readAllBytes(store.modelFile(m)));
        assertEquals(1, reg.hits("GET", "/token").size(), "one token, reused for every blob");

        // a second pull of the same model fetches the manifest and no blob
        int before = reg.hits().size();
        new ModelPuller(store, settings(reg, null), TransferListener.QUIET).pull(ref, null);
        assertTrue(reg.hits().subList(before, reg.hits().size()).stream().noneMatch(h -> h.path().contains("/blobs/")));
    }

    @Test
    void ollamaUnknownTagIsAnErrorNamingIt() throws Exception {
        LoopbackHttpServer reg = server();
        ollamaRegistry(reg, "library/stories");
        TransferException e = assertThrows(TransferException.class, () -> new ModelPuller(store, settings(reg, null),
                TransferListener.QUIET).pull(ModelReference.parse("ollama://" + reg.authority() + "/library/stories:7b"), null));
        assertTrue(e.getMessage().startsWith("no model " + reg.authority() + "/library/stories:7b"), e.getMessage());
        assertStoreUntouched();
    }

    @Test
    void ollamaBlobWithWrongBytesLeavesTheStoreUntouched() throws Exception {
        LoopbackHttpServer reg = server();
        Manifest remote = ollamaRegistry(reg, "library/stories");
        byte[] bad = gguf.clone();
        bad[bad.length - 1] ^= 1;
        guarded(reg, "/v2/library/stories/blobs/" + digest, Map.of(), "application/octet-stream", bad);
        TransferException e = assertThrows(TransferException.class, () -> new ModelPuller(store, settings(reg, null),
                TransferListener.QUIET).pull(ModelReference.parse("ollama://" + reg.authority() + "/library/stories"), null));
        assertTrue(e.getMessage().startsWith("digest mismatch for model " + digest.shortHex()), e.getMessage());
        assertStoreUntouched();
        assertFalse(Files.exists(store.partialDir().resolve(remote.config().digest().fileName() + ".partial")),
                "the config fetched before the model is not left in partial/");
    }

    @Test
    void ociIndexIsRefusedWithTheWayOut() throws Exception {
        LoopbackHttpServer reg = server();
        reg.document("/v2/models/tiny/manifests/v1", 200, MediaTypes.OCI_INDEX,
                ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}").getBytes(), Map.of());
        TransferException e = assertThrows(TransferException.class, () -> new ModelPuller(store, settings(reg, null),
                TransferListener.QUIET).pull(ModelReference.parse("oci://" + reg.authority() + "/models/tiny:v1"), null));
        assertTrue(e.getMessage().contains("is an image index") && e.getMessage().contains("@sha256:"), e.getMessage());
    }

    @Test
    void fileImportIsAHardLinkedModel() throws Exception {
        StoredModel m = new ModelPuller(store, RemoteSettings.fromEnvironment(), TransferListener.QUIET)
                .pull(ModelReference.parse("file://" + Payload.path()), null);
        assertEquals("stories260K:latest", m.name().displayShortest());
        assertEquals(digest, m.manifest().layer(MediaTypes.MODEL).orElseThrow().digest());
    }

    private static TransferListener listener(List<String> steps) {
        return new TransferListener() {
            @Override
            public synchronized void step(String line) {
                steps.add(line);
            }

            @Override
            public void bytes(String label, long done, long total) {
            }
        };
    }
}
