package io.strata.model.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelLocatorTest {

    private static StoredModel store(ModelStore store, String name, String weights) {
        BlobStore.Blob config = store.blobs().write("{}".getBytes(StandardCharsets.UTF_8));
        BlobStore.Blob model = store.blobs().write(weights.getBytes(StandardCharsets.UTF_8));
        return store.write(ModelName.parse(name), new Manifest(config.layer(MediaTypes.CONFIG),
                List.of(model.layer(MediaTypes.MODEL))));
    }

    @Test
    void theStoreComesFirstThenTheSearchPathThenAPath(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("models"));
        Files.writeString(folder.resolve("tiny"), "on the search path");
        Files.writeString(folder.resolve("only-on-path.gguf"), "x");
        ModelStore store = ModelStore.inHome(dir.resolve("home"));
        StoredModel stored = store(store, "tiny", "in the store");
        ModelLocator locator = new ModelLocator(store, List.of(folder));

        ResolvedModel r = locator.resolve("tiny");
        ResolvedModel.Stored s = assertInstanceOf(ResolvedModel.Stored.class, r);
        assertEquals(stored.manifestDigest(), s.model().manifestDigest());
        assertEquals("in the store", Files.readString(r.gguf()));

        assertEquals(folder.resolve("only-on-path.gguf"), locator.locate("only-on-path.gguf"));
        Path file = folder.resolve("only-on-path.gguf").toAbsolutePath();
        assertInstanceOf(ResolvedModel.File.class, locator.resolve(file.toString()));
        assertEquals("on the search path", Files.readString(new ModelLocator(List.of(folder)).locate("tiny")),
                "a locator without a store keeps its old behaviour");
    }

    @Test
    void aMissingModelNamesEverythingSearched(@TempDir Path dir) {
        ModelStore store = ModelStore.inHome(dir);
        var e = assertThrows(ModelLocator.ModelNotFoundException.class,
                () -> new ModelLocator(store, List.of(dir.resolve("p"))).locate("nothing"));
        assertTrue(e.getMessage().startsWith("model not found: nothing"), e.getMessage());
        assertTrue(e.getMessage().contains(store.root().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("p").toString()), e.getMessage());
    }
}
