package io.strata.model.chat;

import io.strata.model.gotemplate.OllamaTemplate;

import java.util.List;
import java.util.Map;

/**
 * A Modelfile's TEMPLATE (Ollama's Go template) in the place of the GGUF's Jinja template. Ollama's templates always
 * end where the assistant's reply begins and never see BOS/EOS text or extra variables, so those arguments are
 * unused; the tokenizer adds BOS as the vocabulary asks.
 */
final class GoChatTemplate implements ChatTemplate {
    private final OllamaTemplate template;

    GoChatTemplate(final String source) {
        this.template = OllamaTemplate.parse(source);
    }

    @Override
    public String render(final List<ChatMessage> messages, final boolean addGenerationPrompt, final String bosToken,
                         final String eosToken, final Map<String, ?> extraVariables) {
        return template.render(messages);
    }

    @Override
    public String toString() {
        return "GoChatTemplate";
    }
}
