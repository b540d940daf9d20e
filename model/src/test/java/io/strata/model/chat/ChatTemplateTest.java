package io.strata.model.chat;

import io.strata.model.gguf.GgufFile;
import io.strata.model.store.ModelLocator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real chat templates rendered to the exact text Jinja2 produces. Every expected string was generated with
 * python-jinja2 3.1.6 configured as transformers configures it (ImmutableSandboxedEnvironment, trim_blocks,
 * lstrip_blocks, loopcontrols, raise_exception, strftime_now, transformers' tojson), never recorded from this code.
 */
class ChatTemplateTest {
    /** 2025-02-03 14:05:09 UTC, the date the expectations were generated for. */
    private static final Clock FIXED_CLOCK = Clock.fixed(Instant.parse("2025-02-03T14:05:09Z"), ZoneOffset.UTC);

    // Leading/trailing whitespace in the user turn shows which templates trim and which do not.
    private static final List<ChatMessage> SYSTEM_USER = List.of(
            ChatMessage.system("You are a helpful assistant."),
            ChatMessage.user("  What is 2+2?\n"));
    private static final List<ChatMessage> MULTI_TURN = List.of(
            ChatMessage.system("You are a helpful assistant."),
            ChatMessage.user("  What is 2+2?\n"),
            ChatMessage.assistant(" It is 4. "),
            ChatMessage.user("Thanks!"));
    private static final List<ChatMessage> USER_ONLY = List.of(ChatMessage.user("Hi"));

    private static ChatTemplate resource(final String name) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat-templates/" + name)) {
            assertNotNull(in, name);
            return ChatTemplate.jinja(new String(in.readAllBytes(), StandardCharsets.UTF_8), FIXED_CLOCK);
        }
    }

    @Test
    void llama3RendersSystemAndUserWithBosHeadersAndTrimmedContent() throws IOException {
        final ChatTemplate template = resource("llama3-instruct.jinja");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant."
                        + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                template.render(SYSTEM_USER, true, "<|begin_of_text|>", "<|eot_id|>"));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant."
                        + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nIt is 4.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nThanks!<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                template.render(MULTI_TURN, true, "<|begin_of_text|>", "<|eot_id|>"));
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
                template.render(USER_ONLY, false, "<|begin_of_text|>", "<|eot_id|>"));
    }

    @Test
    void llama32TemplateWithDefinedChecksSlicingAndStrftimeNow() throws IOException {
        final ChatTemplate template = resource("llama3.2-instruct.jinja");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 03 Feb 2025\n\n"
                        + "You are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                        + "What is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                template.render(SYSTEM_USER, true, "<|begin_of_text|>", "<|eot_id|>"));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 03 Feb 2025\n\n"
                        + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
                template.render(USER_ONLY, false, "<|begin_of_text|>", "<|eot_id|>"));
    }

    @Test
    void extraVariablesReachTheTemplate() throws IOException {
        final String text = resource("llama3.2-instruct.jinja")
                .render(USER_ONLY, false, "<|begin_of_text|>", "<|eot_id|>", Map.of("date_string", "26 Jul 2024"));
        assertTrue(text.contains("Today Date: 26 Jul 2024\n"), text);
    }

    @Test
    void chatmlQwen2KeepsContentVerbatimAndAddsDefaultSystemOnlyWhenMissing() throws IOException {
        final ChatTemplate template = resource("qwen2-chatml.jinja");
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                        + "  What is 2+2?\n<|im_end|>\n<|im_start|>assistant\n",
                template.render(SYSTEM_USER, true, "", ""));
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                        + "  What is 2+2?\n<|im_end|>\n<|im_start|>assistant\n It is 4. <|im_end|>\n"
                        + "<|im_start|>user\nThanks!<|im_end|>\n<|im_start|>assistant\n",
                template.render(MULTI_TURN, true, "", ""));
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
                template.render(USER_ONLY, false, "", ""));
    }

    @Test
    void qwen25TemplateWithWhitespaceControlAndLoopFirst() throws IOException {
        final ChatTemplate template = resource("qwen2.5-instruct.jinja");
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                        + "  What is 2+2?\n<|im_end|>\n<|im_start|>assistant\n It is 4. <|im_end|>\n"
                        + "<|im_start|>user\nThanks!<|im_end|>\n<|im_start|>assistant\n",
                template.render(MULTI_TURN, true, "", ""));
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                        + "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
                template.render(USER_ONLY, false, "", ""));
    }

    @Test
    void llama2FoldsSystemIntoFirstUserTurnWithStrip() throws IOException {
        final ChatTemplate template = resource("llama2-chat.jinja");
        assertEquals("<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\n  What is 2+2? [/INST]",
                template.render(SYSTEM_USER, true, "<s>", "</s>"));
        assertEquals("<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\n  What is 2+2? [/INST]"
                        + " It is 4. </s><s>[INST] Thanks! [/INST]",
                template.render(MULTI_TURN, true, "<s>", "</s>"));
    }

    @Test
    void raiseExceptionReportsTheTemplatesMessage() throws IOException {
        final ChatTemplate llama2 = resource("llama2-chat.jinja");
        final ChatTemplateException notAlternating = assertThrows(ChatTemplateException.class,
                () -> llama2.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true, "<s>", "</s>"));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...",
                notAlternating.getMessage());
        assertTrue(notAlternating.raisedByTemplate());

        final ChatTemplate gemma = resource("gemma2-it.jinja");
        final ChatTemplateException noSystem = assertThrows(ChatTemplateException.class,
                () -> gemma.render(SYSTEM_USER, true, "<bos>", "<eos>"));
        assertEquals("System role not supported", noSystem.getMessage());
        assertEquals("<bos><start_of_turn>user\nHi<end_of_turn>\n", gemma.render(USER_ONLY, false, "<bos>", "<eos>"));
    }

    @Test
    void syntaxErrorsAreReportedAsNotRaisedByTemplate() {
        final ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.jinja("{% for m in messages %}{{ m.role }}").render(USER_ONLY, true, "", ""));
        assertFalse(e.raisedByTemplate());
        assertTrue(e.getMessage().startsWith("chat template error"), e.getMessage());
    }

    @Test
    void phi3TemplateFromGgufMetadata() {
        final Path path = ModelLocator.fromEnvironment().locate("ggml-vocab-phi-3.gguf");
        final ChatTemplate template;
        try (GgufFile gguf = GgufFile.open(path)) {
            template = ChatTemplate.fromGguf(gguf.metadata());
        }
        assertTrue(template instanceof JinjaChatTemplate, template.toString());
        assertEquals("<s><|user|>\n  What is 2+2?\n<|end|>\n<|assistant|>\n",
                template.render(SYSTEM_USER, true, "<s>", "<|endoftext|>"));
    }

    @Test
    void ggufWithoutTemplateFallsBackToPlainTranscript() {
        final Path path = ModelLocator.fromEnvironment().locate("stories260K.gguf");
        try (GgufFile gguf = GgufFile.open(path)) {
            final ChatTemplate template = ChatTemplate.fromGguf(gguf.metadata());
            assertEquals("system: You are a helpful assistant.\nuser:   What is 2+2?\n\nassistant: ",
                    template.render(SYSTEM_USER, true, "<s>", "</s>"));
            assertEquals("user: Hi\n", template.render(USER_ONLY, false, "<s>", "</s>"));
        }
    }

    @Test
    void llama3TemplateFromHuggingFaceTokenizerConfig() throws IOException {
        // The original Meta-Llama-3 tokenizer_config.json (its template always appends the assistant header).
        final Path config = Path.of(System.getProperty("strata.shared", "../shared"),
                "models/derived/llama3-tokenizer/tokenizer_config.json");
        final String json = Files.readString(config);
        final Matcher m = Pattern.compile("\"chat_template\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        assertTrue(m.find(), "chat_template in " + config);
        final ChatTemplate template = ChatTemplate.jinja(unescapeJson(m.group(1)), FIXED_CLOCK);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant."
                        + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                template.render(SYSTEM_USER, true, "<|begin_of_text|>", "<|end_of_text|>"));
    }

    /** Enough of JSON string unescaping for a template string (no surrogate pairs needed). */
    private static String unescapeJson(final String s) {
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            final char e = s.charAt(++i);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(e);
            }
        }
        return out.toString();
    }
}
