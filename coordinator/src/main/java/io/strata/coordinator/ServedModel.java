package io.strata.coordinator;

import io.strata.inference.LocalModel;
import io.strata.model.chat.ChatMessage;
import io.strata.model.chat.ChatTemplate;
import io.strata.model.tokenizer.Tokenizer;
import io.strata.worker.engine.InferenceEngine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A model as the HTTP API serves it: its name, its tokenizer and chat template (the coordinator's half of a
 * request), and the engine that generates (the worker's half).
 */
public final class ServedModel {
    private final String name;
    private final Path path;
    private final LocalModel model;
    private final InferenceEngine engine;
    private final ChatTemplate template;
    private final boolean hasTemplate;
    private final String bosText;
    private final String eosText;
    private final long modifiedEpochSeconds;
    private final long sizeBytes;

    public ServedModel(String name, Path path, LocalModel model, InferenceEngine engine) {
        this.name = name;
        this.path = path;
        this.model = model;
        this.engine = engine;
        String source = model.chatTemplate();
        this.hasTemplate = source != null && !source.isBlank();
        this.template = ChatTemplate.fromGguf(model.file().metadata());
        Tokenizer tok = model.tokenizer();
        this.bosText = tokenText(tok, tok.vocabulary().bos());
        this.eosText = tokenText(tok, tok.vocabulary().eos());
        long modified;
        long size;
        try {
            modified = Files.getLastModifiedTime(path).toInstant().getEpochSecond();
            size = Files.size(path);
        } catch (IOException e) {
            modified = 0;
            size = 0;
        }
        this.modifiedEpochSeconds = modified;
        this.sizeBytes = size;
    }

    /** The name a file is served under: its file name without {@code .gguf}. */
    public static String defaultName(Path path) {
        String f = path.getFileName().toString();
        return f.toLowerCase(Locale.ROOT).endsWith(".gguf") ? f.substring(0, f.length() - 5) : f;
    }

    public String name() { return name; }

    public Path path() { return path; }

    public LocalModel model() { return model; }

    public InferenceEngine engine() { return engine; }

    public Tokenizer tokenizer() { return model.tokenizer(); }

    public boolean hasChatTemplate() { return hasTemplate; }

    public long modifiedEpochSeconds() { return modifiedEpochSeconds; }

    public long sizeBytes() { return sizeBytes; }

    public int contextSize() { return engine.contextSize(); }

    /**
     * Whether a request's {@code model} names this model: its name, with or without an Ollama-style {@code :latest}
     * tag, or its file name.
     */
    public boolean answersTo(String requested) {
        if (requested == null) {
            return false;
        }
        String r = requested.endsWith(":latest") ? requested.substring(0, requested.length() - 7) : requested;
        return r.equals(name) || r.equals(path.getFileName().toString());
    }

    /** A completion prompt's tokens: BOS as the vocabulary asks, special tokens in the text recognised (as llama-server). */
    public int[] tokenizePrompt(String text) {
        return model.tokenizer().encode(text, true, true);
    }

    /** The conversation rendered by the chat template, opening the assistant's turn. */
    public String renderChat(List<ChatMessage> messages) {
        return template.render(messages, true, bosText, eosText);
    }

    /** The tokens of rendered chat text: no second BOS when the template wrote one. */
    public int[] tokenizeChat(String rendered) {
        boolean hasBos = !bosText.isEmpty() && rendered.startsWith(bosText);
        return model.tokenizer().encode(rendered, !hasBos, true);
    }

    private static String tokenText(Tokenizer tok, int id) {
        return id < 0 ? "" : new String(tok.piece(id, true), StandardCharsets.UTF_8);
    }
}
