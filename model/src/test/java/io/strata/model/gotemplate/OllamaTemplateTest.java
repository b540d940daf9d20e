package io.strata.model.gotemplate;

import io.strata.model.chat.ChatMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OllamaTemplateTest {
    private static final String LEGACY_LLAMA2 =
            "{{ if .System }}<<SYS>>{{ .System }}<</SYS>>{{ end }}[INST] {{ .Prompt }} [/INST]{{ .Response }}</s>";

    @Test
    void aLegacyTemplateRunsPerTurnAndTheLastTurnIsCutAfterTheResponse() {
        String out = OllamaTemplate.parse(LEGACY_LLAMA2).render(List.of(ChatMessage.system("S"), ChatMessage.user("a"),
                new ChatMessage("assistant", "b"), ChatMessage.user("c")));
        assertEquals("<<SYS>>S<</SYS>>[INST] a [/INST]b</s>[INST] c [/INST]", out);
    }

    @Test
    void aLastAssistantMessageIsContinuedInALegacyTemplate() {
        String out = OllamaTemplate.parse(LEGACY_LLAMA2).render(List.of(ChatMessage.user("a"),
                new ChatMessage("assistant", "The")));
        assertEquals("[INST] a [/INST]The", out);
    }

    @Test
    void theDefaultTemplateIsThePromptAlone() {
        assertEquals("Once upon a time", OllamaTemplate.parse(OllamaTemplate.DEFAULT)
                .render(List.of(ChatMessage.user("Once upon a time"))));
    }

    @Test
    void aTemplateWithoutResponseGetsItAppended() {
        OllamaTemplate t = OllamaTemplate.parse("Q: {{ .Prompt }}\nA:");
        assertEquals("Q: 1+1\nA:2Q: 2+2\nA:", t.render(List.of(ChatMessage.user("1+1"),
                new ChatMessage("assistant", "2"), ChatMessage.user("2+2"))));
    }

    @Test
    void messagesOfOneRoleInARowAreMergedAndSystemMessagesJoined() {
        OllamaTemplate t = OllamaTemplate.parse(GoTemplateTest.CHATML);
        String out = t.render(List.of(ChatMessage.system("A"), ChatMessage.system("B"), ChatMessage.user("x"),
                ChatMessage.user("y")));
        assertEquals("""
                <|im_start|>system
                A

                B<|im_end|>
                <|im_start|>user
                x

                y<|im_end|>
                <|im_start|>assistant
                """, out);
    }

    @Test
    void llama3ThroughOllamasRules() {
        String out = OllamaTemplate.parse(GoTemplateTest.LLAMA3).render(List.of(ChatMessage.system("S"),
                ChatMessage.user("Hi")));
        assertEquals("<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", out);
    }
}
