package io.strata.model.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelNameTest {

    @ParameterizedTest
    @CsvSource({
            "llama3.2, registry.ollama.ai, library, llama3.2, latest",
            "llama3.2:1b, registry.ollama.ai, library, llama3.2, 1b",
            "jmorgan/foo, registry.ollama.ai, jmorgan, foo, latest",
            "example.com:5000/ns/m:t, example.com:5000, ns, m, t",
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M, hf.co, bartowski, Llama-3.2-1B-Instruct-GGUF, Q4_K_M",
            "https://example.com/ns/m, example.com, ns, m, latest",
    })
    void partsAreFilledInAsOllamaDoes(String text, String host, String ns, String model, String tag) {
        assertEquals(new ModelName(host, ns, model, tag), ModelName.parse(text));
    }

    @Test
    void aColonBeforeTheLastSlashIsAPortNotATag() {
        ModelName n = ModelName.parse("localhost:8080/ns/model");
        assertEquals("localhost:8080", n.host());
        assertEquals("latest", n.tag());
    }

    @Test
    void displayShortestDropsOnlyTheDefaults() {
        assertEquals("llama3.2:latest", ModelName.parse("llama3.2").displayShortest());
        assertEquals("me/m:v1", ModelName.parse("me/m:v1").displayShortest());
        assertEquals("hf.co/a/b:c", ModelName.parse("hf.co/a/b:c").displayShortest());
        for (String s : new String[]{"llama3.2", "me/m:v1", "hf.co/a/b:c"}) {
            ModelName n = ModelName.parse(s);
            assertEquals(n, ModelName.parse(n.displayShortest()));
        }
    }

    @Test
    void namesCompareCaseInsensitively() {
        assertTrue(ModelName.parse("Llama3:Latest").sameAs(ModelName.parse("llama3")));
        assertFalse(ModelName.parse("llama3:8b").sameAs(ModelName.parse("llama3")));
    }

    @Test
    void theManifestPathIsHostNamespaceModelTag() {
        assertEquals(Path.of("m", "registry.ollama.ai", "library", "qwen", "0.5b"),
                ModelName.parse("qwen:0.5b").manifestPath(Path.of("m")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''| a model name is required",
            "llama:| empty tag",
            "-llama| model \"-llama\" may hold only",
            "llama:.x| tag \".x\" may hold only",
            "a.b/m| namespace \"a.b\" may hold only",
            "a/b/c/d| too many",
            "../x.gguf| namespace \"..\" may hold only",
            "/tmp/x.gguf| empty host",
            "my model| model \"my model\" may hold only",
    })
    void badNamesAreRefusedNamingThePart(String text, String expected) {
        var e = assertThrows(ModelName.InvalidModelNameException.class, () -> ModelName.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {80, 81})
    void partsAreAtMost80Characters(int length) {
        String model = "m".repeat(length);
        if (length <= 80) {
            assertEquals(model, ModelName.parse(model).model());
        } else {
            var e = assertThrows(ModelName.InvalidModelNameException.class, () -> ModelName.parse(model));
            assertTrue(e.getMessage().contains("longer than 80"), e.getMessage());
        }
    }
}
