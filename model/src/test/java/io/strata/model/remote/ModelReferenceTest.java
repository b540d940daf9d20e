package io.strata.model.remote;

import io.strata.model.store.Digest;
import io.strata.model.store.ModelName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelReferenceTest {

    @Test
    void huggingFaceReferencesNameOrgRepoRevisionAndFile() {
        var r = (ModelReference.HuggingFace) ModelReference.parse("hf://ggml-org/models/tinyllamas/stories260K.gguf");
        assertEquals("ggml-org", r.org());
        assertEquals("models", r.repo());
        assertEquals("main", r.revision());
        assertEquals("tinyllamas/stories260K.gguf", r.file());
        assertEquals("hf.co/ggml-org/models:stories260K", r.defaultName().displayShortest());
        var pr = (ModelReference.HuggingFace) ModelReference.parse("huggingface://a/b@refs%2Fpr%2F1/x.gguf");
        assertEquals("refs/pr/1", pr.revision());
        URI url = new ModelPuller(null, RemoteSettings.fromEnvironment().withHf(URI.create("https://hub.example"), null),
                TransferListener.QUIET).resolveUrl(pr);
        assertEquals("https://hub.example/a/b/resolve/refs%2Fpr%2F1/x.gguf", url.toString());
    }

    @Test
    void ociReferencesTakeATagOrADigest() {
        var t = (ModelReference.Oci) ModelReference.parse("oci://127.0.0.1:5000/strata/tiny:v1");
        assertEquals("127.0.0.1:5000", t.registry());
        assertEquals("strata/tiny", t.repository());
        assertEquals("v1", t.reference());
        assertEquals("127.0.0.1:5000/strata/tiny:v1", t.defaultName().toString());
        assertEquals("latest", ((ModelReference.Oci) ModelReference.parse("oci://quay.io/m")).tag());
        String hex = "a".repeat(64);
        var d = (ModelReference.Oci) ModelReference.parse("oci://quay.io/org/m@sha256:" + hex);
        assertNull(d.tag());
        assertEquals(new Digest(hex), d.digest());
        assertEquals("sha256:" + hex, d.reference());
    }

    @Test
    void ollamaReferencesAreOllamaNames() {
        var o = (ModelReference.Ollama) ModelReference.parse("ollama://llama3.2:1b");
        assertEquals(ModelName.parse("llama3.2:1b"), o.name());
        assertEquals("registry.ollama.ai", o.name().host());
        assertEquals("127.0.0.1:1234", ((ModelReference.Ollama) ModelReference.parse("ollama://127.0.0.1:1234/library/x")).name().host());
    }

    @Test
    void urlsMayCarryTheSha256TheFileMustHave() {
        String hex = "b".repeat(64);
        var u = (ModelReference.Url) ModelReference.parse("https://example.com/m/tiny.gguf#sha256=" + hex.toUpperCase());
        assertEquals(URI.create("https://example.com/m/tiny.gguf"), u.uri());
        assertEquals(new Digest(hex), u.expected());
        assertEquals("example.com/library/tiny:latest", u.defaultName().toString());
        assertEquals(Path.of("/x/y.gguf"), ((ModelReference.LocalFile) ModelReference.parse("file:///x/y.gguf")).path());
    }

    @Test
    void onlyKnownSchemesAreReferences() {
        assertTrue(ModelReference.isReference("HF://a/b/c"));
        assertFalse(ModelReference.isReference("llama3.2"));
        assertFalse(ModelReference.isReference("/models/x.gguf"));
        assertFalse(ModelReference.isReference("s3://bucket/x"));
    }

    @Test
    void badReferencesSayWhatIsWrong() {
        assertEquals("invalid model reference \"hf://org/repo\": expected hf://ORG/REPO[@REVISION]/FILE (a GGUF file in the repository)",
                assertThrows(IllegalArgumentException.class, () -> ModelReference.parse("hf://org/repo")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelReference.parse("oci://reg/Upper:v1"))
                .getMessage().contains("repository \"Upper\" is not a valid OCI repository name"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelReference.parse("hf://a/b/../x.gguf"))
                .getMessage().contains("'..'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelReference.parse("https://e.com/x#md5=1"))
                .getMessage().contains("is not #sha256=HEX"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ModelReference.parse("oci://reg/a/b/c:v1").defaultName()).getMessage().contains("choose one with --name"));
    }
}
