package io.strata.model.modelfile;

import io.strata.model.chat.ChatMessage;
import io.strata.model.store.MediaTypes;
import io.strata.model.store.TextLayer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ollama's rules for joining a model's SYSTEM and MESSAGEs to a request, and the layers they come from. */
class ModelDefaultsRulesTest {
    static final ModelDefaults MODEL = ModelDefaults.fromLayers(List.of(
            new TextLayer(MediaTypes.SYSTEM, "S"),
            new TextLayer(MediaTypes.MESSAGES, "[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"}]"),
            new TextLayer(MediaTypes.PARAMS, "{\"stop\":[\"a\",\"b\"],\"temperature\":0.5,\"num_ctx\":4096}"),
            new TextLayer(MediaTypes.LICENSE, "L1"), new TextLayer(MediaTypes.LICENSE, "L2")), "test");

    @Test
    void aChatGetsTheModelsSystemFirstAndItsMessagesBeforeTheRequests() {
        assertEquals(List.of(ChatMessage.system("S"), ChatMessage.user("Hi"), ChatMessage.assistant("Hello"),
                ChatMessage.user("Q")), MODEL.chat(List.of(ChatMessage.user("Q"))));
    }

    @Test
    void aChatThatStartsWithItsOwnSystemMessageKeepsItAndDropsTheModels() {
        assertEquals(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello"), ChatMessage.system("Mine"),
                ChatMessage.user("Q")), MODEL.chat(List.of(ChatMessage.system("Mine"), ChatMessage.user("Q"))));
    }

    @Test
    void aGenerateTakesTheRequestsSystemElseTheModelsThenTheMessagesThenThePrompt() {
        assertEquals(List.of(ChatMessage.system("Mine"), ChatMessage.user("Hi"), ChatMessage.assistant("Hello"),
                ChatMessage.user("P")), MODEL.generate("Mine", "P"));
        assertEquals(ChatMessage.system("S"), MODEL.generate(null, "P").getFirst());
        assertEquals(ChatMessage.system("S"), MODEL.generate("", "P").getFirst());
        assertEquals(List.of(ChatMessage.user("P")), ModelDefaults.NONE.generate(null, "P"));
    }

    @Test
    void parametersPrintAsOllamasShowPrintsThem() {
        assertEquals(String.join("\n", String.format("%-30s %s", "num_ctx", "4096"),
                String.format("%-30s %s", "stop", "\"a\""), String.format("%-30s %s", "stop", "\"b\""),
                String.format("%-30s %s", "temperature", "0.5")), MODEL.parametersText());
        assertEquals("L1\nL2", MODEL.license());
        assertEquals(4096, MODEL.integer(Parameter.NUM_CTX).orElseThrow());
        assertEquals(List.of("a", "b"), MODEL.stop().orElseThrow());
    }

    @Test
    void messagesThatAreNotAJsonArrayOfRoleAndContentNameTheirSource() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelDefaults.fromLayers(
                List.of(new TextLayer(MediaTypes.MESSAGES, "[{\"role\":\"user\"}]")), "model x"));
        assertTrue(e.getMessage().startsWith("model x: a message lacks"), e.getMessage());
    }
}
