package io.strata.model.chat;

import java.util.List;
import java.util.Map;

/**
 * Fallback for models whose GGUF has no chat template: each message becomes {@code "role: content\n"}, and the
 * generation prompt is {@code "assistant: "}. BOS/EOS text is not emitted, because the tokenizer adds BOS itself and
 * a base model has no end-of-turn convention to follow. This is a neutral transcript, not one of llama.cpp's
 * built-in per-family formats.
 */
final class PlainChatTemplate implements ChatTemplate {
    static final PlainChatTemplate INSTANCE = new PlainChatTemplate();

    private PlainChatTemplate() {
    }

    @Override
    public String render(final List<ChatMessage> messages, final boolean addGenerationPrompt, final String bosToken,
                         final String eosToken, final Map<String, ?> extraVariables) {
        final StringBuilder text = new StringBuilder();
        for (final ChatMessage message : messages) {
            text.append(message.role()).append(": ").append(message.content()).append('\n');
        }
        if (addGenerationPrompt) {
            text.append("assistant: ");
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return "PlainChatTemplate";
    }
}
