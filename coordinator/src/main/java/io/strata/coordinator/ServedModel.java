package io.strata.coordinator;

import io.strata.inference.LocalModel;
import io.strata.model.chat.ChatMessage;
import io.strata.model.chat.ChatTemplate;
import io.strata.model.tokenizer.Tokenizer;
import io.strata.worker.engine.InferenceEngine;

import io.strata.model.gguf.GgufTensorInfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

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
    private final long parameterCount;
    private final String dominantType;
    private final String digest;

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
        long params = 0;
        Map<String, Long> elementsByType = new TreeMap<>();
        for (GgufTensorInfo t : model.file().tensors().values()) {
            params += t.elementCount();
            elementsByType.merge(t.type().name(), t.elementCount(), Long::sum);
        }
        this.parameterCount = params;
        this.dominantType = elementsByType.entrySet().stream().max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey).orElse("unknown");
        this.digest = digestOf(path, size, modified);
    }

    /** A stable id for this model file (path, size, time): not a content hash, which would mean reading it all. */
    private static String digestOf(Path path, long size, long modified) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((path.toAbsolutePath() + "\n" + size + "\n" + modified).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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

    /** Elements of all tensors. */
    public long parameterCount() { return parameterCount; }

    /** The tensor type holding most elements (Ollama's quantization_level). */
    public String dominantType() { return dominantType; }

    /** Ollama's digest field: see {@link #digestOf}. */
    public String digest() { return digest; }

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
