package io.strata.model.modelfile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.gguf.GgufFile;
import io.strata.model.store.Layer;
import io.strata.model.tensor.GgmlType;
import io.strata.model.store.MediaTypes;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import io.strata.model.store.StoredModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelCreatorTest {
    private static final Path MODELS = Path.of(System.getProperty("strata.model.path.default", "../shared/models"));

    private final List<String> progress = new ArrayList<>();

    private StoredModel create(ModelStore store, String name, String modelfile, Path dir) {
        ModelCreator creator = new ModelCreator(store, new ModelLocator(store, List.of(MODELS)), progress::add);
        return creator.create(ModelName.parse(name), ModelfileParser.parse(modelfile, dir));
    }

    @Test
    void fromAGgufOnTheSearchPathStoresItsBytesAndAConfigReadFromIt(@TempDir Path home) throws Exception {
        ModelStore store = ModelStore.inHome(home);
        StoredModel m = create(store, "tiny", "FROM stories260K.gguf\nPARAMETER temperature 0\nSYSTEM Be brief.", home);
        Layer model = m.manifest().layer(MediaTypes.MODEL).orElseThrow();
        Path source = MODELS.resolve("stories260K.gguf");
        assertEquals(-1L, Files.mismatch(source, store.blobs().path(model.digest())));
        assertEquals(Files.size(source), model.size());
        JsonNode config = new ObjectMapper().readTree(store.blobs().read(m.manifest().config().digest()));
        assertEquals("gguf", config.get("model_format").asText());
        assertEquals("llama", config.get("model_family").asText());
        assertEquals("F32", config.get("file_type").asText());
        assertEquals("Be brief.", store.readText(m.manifest().layer(MediaTypes.SYSTEM).orElseThrow()));
        assertEquals("{\"temperature\":0.0}", store.readText(m.manifest().layer(MediaTypes.PARAMS).orElseThrow()));
        assertTrue(progress.contains("success"), progress.toString());
    }

    @Test
    void fromAStoredModelKeepsItsLayersAndMergesParameters(@TempDir Path home) {
        ModelStore store = ModelStore.inHome(home);
        StoredModel base = create(store, "base", "FROM stories260K.gguf\nPARAMETER temperature 0.5\nPARAMETER stop END\n"
                + "SYSTEM one\nLICENSE MIT", home);
        StoredModel derived = create(store, "derived", "FROM base\nPARAMETER temperature 0.1\nSYSTEM two\nLICENSE BSD", home);
        assertEquals(base.manifest().layer(MediaTypes.MODEL), derived.manifest().layer(MediaTypes.MODEL));
        assertEquals(base.manifest().config(), derived.manifest().config());
        assertEquals("two", store.readText(derived.manifest().layer(MediaTypes.SYSTEM).orElseThrow()));
        assertEquals(1, derived.manifest().layers(MediaTypes.SYSTEM).size());
        assertEquals("{\"stop\":[\"END\"],\"temperature\":0.1}",
                store.readText(derived.manifest().layer(MediaTypes.PARAMS).orElseThrow()));
        assertEquals(List.of("MIT", "BSD"), derived.manifest().layers(MediaTypes.LICENSE).stream().map(store::readText).toList());
    }

    @Test
    void messagesAreStoredAsOllamasJsonArray(@TempDir Path home) {
        ModelStore store = ModelStore.inHome(home);
        StoredModel m = create(store, "m", "FROM stories260K.gguf\nMESSAGE user hi\nMESSAGE assistant \"hello\"", home);
        assertEquals("[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]",
                store.readText(m.manifest().layer(MediaTypes.MESSAGES).orElseThrow()));
    }

    @Test
    void aSafetensorsDirectoryIsConvertedToF16AndStored(@TempDir Path home) throws Exception {
        ModelStore store = ModelStore.inHome(home);
        Path hf = MODELS.resolve("derived/stories260K-hf");
        StoredModel m = create(store, "hf", "# hf\nFROM " + hf.toAbsolutePath() + "\nPARAMETER temperature 0", home);
        try (GgufFile f = GgufFile.open(store.modelFile(m))) {
            assertEquals(1, f.metadata().getLong("general.file_type"), "F16, as ollama create converts");
            assertEquals(GgmlType.F16, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_norm.weight").type());
            assertEquals("llama", f.metadata().getString("tokenizer.ggml.model"));
        }
        try (Stream<Path> blobs = Files.list(home.resolve("models/blobs"))) {
            assertTrue(blobs.noneMatch(p -> p.getFileName().toString().startsWith(".convert-")), "no temporary file left");
        }
    }

    @Test
    void aBf16DirectoryKeepsBf16(@TempDir Path home) {
        ModelStore store = ModelStore.inHome(home);
        Path hf = MODELS.resolve("derived/stories260K-hf-bf16-sharded");
        StoredModel m = create(store, "hf", "FROM " + hf.toAbsolutePath(), home);
        try (GgufFile f = GgufFile.open(store.modelFile(m))) {
            assertEquals(32, f.metadata().getLong("general.file_type"));
            assertEquals(GgmlType.BF16, f.tensor("token_embd.weight").type());
        }
    }

    @Test
    void aPickleCheckpointIsRefusedNamingTheLineAndNothingIsStored(@TempDir Path dir) throws Exception {
        Path hf = Files.createDirectories(dir.resolve("pt"));
        Files.writeString(hf.resolve("config.json"), "{}");
        Files.write(hf.resolve("pytorch_model.bin"), new byte[] {0x50, 0x4b, 3, 4});
        ModelStore store = ModelStore.inHome(dir.resolve("home"));
        var e = assertThrows(ModelfileException.class, () -> create(store, "x", "FROM ./pt", dir));
        assertTrue(e.getMessage().startsWith("Modelfile line 1: FROM "), e.getMessage());
        assertTrue(e.getMessage().contains("arbitrary code") && e.getMessage().contains("safetensors"), e.getMessage());
        assertTrue(store.list().models().isEmpty());
    }

    @Test
    void aFileThatIsNotGgufIsRefusedAndNothingIsStored(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("notes.gguf"), "not a model");
        ModelStore store = ModelStore.inHome(dir.resolve("home"));
        var e = assertThrows(ModelfileException.class, () -> create(store, "x", "FROM ./notes.gguf", dir));
        assertTrue(e.getMessage().contains("line 1: FROM ") && e.getMessage().contains("not a GGUF"), e.getMessage());
        assertTrue(store.blobs().all().isEmpty());
    }

    @Test
    void anUnknownFromNameNamesTheLine(@TempDir Path home) {
        ModelStore store = ModelStore.inHome(home);
        var e = assertThrows(ModelfileException.class, () -> create(store, "x", "\nFROM no-such-model", home));
        assertTrue(e.getMessage().startsWith("Modelfile line 2: FROM model not found: no-such-model"), e.getMessage());
    }
}
