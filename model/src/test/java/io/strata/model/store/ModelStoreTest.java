package io.strata.model.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelStoreTest {

    private static Manifest manifest(ModelStore store, String weights, String template) {
        BlobStore.Blob config = store.blobs().write("{\"model_format\":\"gguf\"}".getBytes(StandardCharsets.UTF_8));
        BlobStore.Blob model = store.blobs().write(weights.getBytes(StandardCharsets.UTF_8));
        BlobStore.Blob tmpl = store.blobs().write(template.getBytes(StandardCharsets.UTF_8));
        return new Manifest(config.layer(MediaTypes.CONFIG),
                List.of(model.layer(MediaTypes.MODEL), tmpl.layer(MediaTypes.TEMPLATE)));
    }

    @Test
    void aWrittenModelIsFoundListedAndLaidOutAsOllamaDoes(@TempDir Path home) throws Exception {
        ModelStore store = ModelStore.inHome(home);
        Manifest m = manifest(store, "weights", "{{ .Prompt }}");
        StoredModel written = store.write(ModelName.parse("tiny:v1"), m);
        Path file = home.resolve("models/manifests/registry.ollama.ai/library/tiny/v1");
        assertEquals(file, written.manifestFile());
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(Digest.of(bytes), written.manifestDigest());
        assertEquals(m, Manifest.parse(bytes, "x"));
        assertTrue(new String(bytes, StandardCharsets.UTF_8).contains("\"mediaType\":\"" + MediaTypes.MANIFEST + "\""));
        assertEquals(m, store.get(ModelName.parse("TINY:V1")).manifest(), "names match case-insensitively");
        assertEquals(List.of("tiny:v1"), store.list().models().stream().map(s -> s.name().displayShortest()).toList());
        assertEquals("{{ .Prompt }}", store.readText(m.layer(MediaTypes.TEMPLATE).orElseThrow()));
        assertEquals(m.totalSize(), written.size());
    }

    @Test
    void aManifestNamingAMissingBlobIsRefused(@TempDir Path home) {
        ModelStore store = ModelStore.inHome(home);
        Manifest m = manifest(store, "w", "t");
        store.blobs().delete(m.layers().get(0).digest());
        var e = assertThrows(StoreException.class, () -> store.write(ModelName.parse("x"), m));
        assertTrue(e.getMessage().contains(m.layers().get(0).digest().toString()), e.getMessage());
        assertTrue(store.list().models().isEmpty());
    }

    @Test
    void removingAModelDeletesOnlyTheBlobsNoOtherModelUses(@TempDir Path home) {
        ModelStore store = ModelStore.inHome(home);
        Manifest a = manifest(store, "shared weights", "template A");
        Manifest b = manifest(store, "shared weights", "template B");
        store.write(ModelName.parse("a"), a);
        store.write(ModelName.parse("b"), b);
        assertEquals(1, store.remove(ModelName.parse("a")), "only template A is A's alone");
        assertFalse(store.blobs().contains(a.layer(MediaTypes.TEMPLATE).orElseThrow().digest()));
        assertTrue(store.blobs().contains(b.layer(MediaTypes.MODEL).orElseThrow().digest()));
        assertTrue(store.find(ModelName.parse("a")).isEmpty());
        assertEquals(3, store.remove(ModelName.parse("b")));
        assertTrue(store.blobs().all().isEmpty());
        assertFalse(Files.exists(home.resolve("models/manifests/registry.ollama.ai")), "empty folders go too");
    }

    @Test
    void replacingAModelDeletesTheBlobsOnlyTheOldManifestUsed(@TempDir Path home) {
        ModelStore store = ModelStore.inHome(home);
        Manifest first = manifest(store, "weights", "old template");
        store.write(ModelName.parse("m"), first);
        Manifest second = store.withLock(() -> manifest(store, "weights", "new template"));
        store.write(ModelName.parse("M:latest"), second);
        assertFalse(store.blobs().contains(first.layer(MediaTypes.TEMPLATE).orElseThrow().digest()));
        assertTrue(store.blobs().contains(second.layer(MediaTypes.MODEL).orElseThrow().digest()));
        assertEquals(List.of("M:latest"), store.list().models().stream().map(s -> s.name().displayShortest()).toList(),
                "one model, under the new spelling");
    }

    @Test
    void concurrentWritersAndRemoversLeaveEveryRemainingModelWhole(@TempDir Path home) throws Exception {
        ModelStore store = ModelStore.inHome(home);
        int threads = 4;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> futures = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        ModelName name = ModelName.parse("t" + id + "-" + i);
                        String template = "template " + id + "-" + i;
                        store.withLock(() -> store.write(name, manifest(store, "shared", template)));
                        if (i % 2 == 0) {
                            store.remove(name);
                        }
                    }
                    return null;
                }));
            }
            for (var f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        ModelStore.Listing listing = store.list();
        assertTrue(listing.problems().isEmpty(), listing.problems().toString());
        assertEquals(threads * 5, listing.models().size());
        java.util.Set<Digest> used = new java.util.HashSet<>();
        for (StoredModel m : listing.models()) {
            used.add(m.manifest().config().digest());
            for (Layer l : m.manifest().layers()) {
                assertTrue(store.blobs().contains(l.digest()), m.name() + " lost " + l.digest());
                used.add(l.digest());
            }
        }
        assertEquals(used, store.blobs().all(), "no blob is left that no model uses");
    }

    @Test
    void copyingSharesEveryBlob(@TempDir Path home) {
        ModelStore store = ModelStore.inHome(home);
        store.write(ModelName.parse("a"), manifest(store, "w", "t"));
        int blobs = store.blobs().all().size();
        StoredModel copy = store.copy(ModelName.parse("a"), ModelName.parse("me/b:2"));
        assertEquals(store.get(ModelName.parse("a")).manifestDigest(), copy.manifestDigest());
        assertEquals(blobs, store.blobs().all().size());
        assertEquals(0, store.remove(ModelName.parse("a")), "b still uses every blob");
        assertThrows(ModelStore.ModelNotInStoreException.class, () -> store.copy(ModelName.parse("a"), ModelName.parse("c")));
    }

    @Test
    void aBrokenManifestIsNamedAndStopsPruning(@TempDir Path home) throws Exception {
        ModelStore store = ModelStore.inHome(home);
        Manifest m = manifest(store, "w", "t");
        store.write(ModelName.parse("good"), m);
        Path bad = ModelName.parse("bad").manifestPath(store.manifestsRoot());
        Files.createDirectories(bad.getParent());
        Files.writeString(bad, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:zz\",\"size\":1},\"layers\":[]}");
        ModelStore.Listing listing = store.list();
        assertEquals(1, listing.models().size());
        assertEquals(1, listing.problems().size());
        assertTrue(listing.problems().get(0).contains(bad.toString()) && listing.problems().get(0).contains("config.digest"),
                listing.problems().get(0));
        var e = assertThrows(ManifestException.class, () -> store.get(ModelName.parse("bad")));
        assertTrue(e.getMessage().contains("config.digest"), e.getMessage());
        store.blobs().write("orphan".getBytes(StandardCharsets.UTF_8));
        assertEquals(0, store.prune(), "an unreadable manifest might reference any blob");
    }

    @Test
    void manifestErrorsNameTheField() {
        String[][] cases = {
                {"[]", "not a JSON object"},
                {"{", "not JSON"},
                {"{\"schemaVersion\":1}", "schemaVersion"},
                {"{\"schemaVersion\":2,\"layers\":[]}", "config is missing"},
                {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"sha256:" + "0".repeat(64)
                        + "\",\"size\":2},\"layers\":[{\"mediaType\":\"m\",\"digest\":\"sha256:" + "0".repeat(64) + "\"}]}",
                        "layers[0].size"},
        };
        for (String[] c : cases) {
            var e = assertThrows(ManifestException.class, () -> Manifest.parse(c[0].getBytes(StandardCharsets.UTF_8), "f"));
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void readingAStoreCreatesNothing(@TempDir Path home) {
        ModelStore store = ModelStore.inHome(home.resolve("absent"));
        assertTrue(store.list().models().isEmpty());
        assertTrue(store.find(ModelName.parse("x")).isEmpty());
        assertFalse(Files.exists(home.resolve("absent")));
    }

    @Test
    void testsRunWithAHomeOutsideTheRealOne() {
        assertFalse(ModelStore.home().startsWith(Path.of(System.getProperty("user.home"), ".strata")),
                "surefire sets strata.home: " + ModelStore.home());
    }
}
