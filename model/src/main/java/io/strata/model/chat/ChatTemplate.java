package io.strata.model.chat;

import io.strata.model.gguf.GgufMetadata;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Turns a conversation into the prompt text a model was trained on.
 *
 * <p>Most GGUF files carry a Hugging Face Jinja template under {@value #GGUF_KEY}; {@link #jinja(String)} renders it
 * the way transformers does (see {@link JinjaChatTemplate}). Files without one get {@link #plain()}, a neutral
 * "role: content" transcript: llama.cpp's hard-coded per-family formats are deliberately not reproduced.
 */
public sealed interface ChatTemplate permits JinjaChatTemplate, PlainChatTemplate, GoChatTemplate {
    /** GGUF metadata key of the Jinja chat template. */
    String GGUF_KEY = "tokenizer.chat_template";

    /**
     * Renders the conversation.
     *
     * @param addGenerationPrompt append the header that opens the assistant's reply
     * @param bosToken            text of the BOS token, bound as {@code bos_token} (templates often emit it themselves)
     * @param eosToken            text of the EOS token, bound as {@code eos_token}
     * @throws ChatTemplateException when the template raises or fails to evaluate
     */
    default String render(final List<ChatMessage> messages, final boolean addGenerationPrompt, final String bosToken,
                          final String eosToken) {
        return render(messages, addGenerationPrompt, bosToken, eosToken, Map.of());
    }

    /**
     * As {@link #render(List, boolean, String, String)}, with additional template variables (for example
     * {@code date_string} to pin Llama 3.x's date line, or {@code tools}). Extra variables do not override the four
     * standard ones.
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt, String bosToken, String eosToken,
                  Map<String, ?> extraVariables);

    /** A Jinja template; {@code strftime_now} reads the system clock in the default time zone. */
    static ChatTemplate jinja(final String source) {
        return new JinjaChatTemplate(source, Clock.systemDefaultZone());
    }

    /** A Jinja template whose {@code strftime_now} reads {@code clock} (tests pin the date this way). */
    static ChatTemplate jinja(final String source, final Clock clock) {
        return new JinjaChatTemplate(source, clock);
    }

    /** The fallback for models without a template: one "role: content" line per message. */
    static ChatTemplate plain() {
        return PlainChatTemplate.INSTANCE;
    }

    /**
     * A Modelfile TEMPLATE: Ollama's Go-template syntax, run by Ollama's rules ({@code OllamaTemplate}).
     *
     * @throws io.strata.model.gotemplate.GoTemplateException naming the line of the first problem
     */
    static ChatTemplate go(final String source) {
        return new GoChatTemplate(source);
    }

    /** A stored model's Go TEMPLATE when it has one, else the GGUF's Jinja template, else {@link #plain()}. */
    static ChatTemplate forModel(final GgufMetadata metadata, final java.util.Optional<String> goTemplate) {
        return goTemplate.isPresent() ? go(goTemplate.get()) : fromGguf(metadata);
    }

    /** The GGUF's own template when it has one, else {@link #plain()}. */
    static ChatTemplate fromGguf(final GgufMetadata metadata) {
        final String source = metadata.getString(GGUF_KEY, null);
        return source == null || source.isBlank() ? plain() : jinja(source);
    }
}
