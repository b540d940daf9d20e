package io.strata.coordinator;

import io.strata.inference.LocalModel;
import io.strata.model.chat.ChatMessage;
import io.strata.model.chat.ChatTemplate;
import io.strata.model.gotemplate.OllamaTemplate;
import io.strata.model.modelfile.ModelDefaults;
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
    private final ModelDefaults defaults;
    private final String templateSource;

    public ServedModel(String name, Path path, LocalModel model, InferenceEngine engine) {
        this(name, path, model, engine, ModelDefaults.NONE);
    }

    /**
     * A model with the defaults its Modelfile gave it: parameters under each request's, the system prompt and
     * messages joined to each conversation, and its TEMPLATE in place of the GGUF's chat template.
     *
     * @param path the file holding the GGUF (a packaged model's jar)
     */
    public ServedModel(String name, Path path, LocalModel model, InferenceEngine engine, ModelDefaults defaults) {
        this.name = name;
        this.path = path;
        this.model = model;
        this.engine = engine;
        this.defaults = defaults;
        String source = model.chatTemplate();
        this.hasTemplate = defaults.template().isPresent() || (source != null && !source.isBlank());
        this.template = ChatTemplate.forModel(model.file().metadata(), defaults.template());
        this.templateSource = defaults.template().orElse(source == null ? OllamaTemplate.DEFAULT : source);
        Tokenizer tok = model.tokenizer();
        this.bosText = tokenText(tok, tok.vocabulary().bos());
        this.eosText = tokenText(tok, tok.vocabulary().eos());
        long modified;
        long size;
        try {
            modified = Files.getLastModifiedTime(path).toInstant().getEpochSecond();
            size = model.file().fileSize(); // the GGUF's bytes, also where it is one entry of a packaged jar
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

    /** The model's Modelfile defaults ({@link ModelDefaults#NONE} for a plain GGUF). */
    public ModelDefaults defaults() { return defaults; }

    /** The prompt template as Ollama's show reports it: the Modelfile TEMPLATE, else the GGUF's Jinja template. */
    public String templateSource() { return templateSource; }

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

    /**
     * A request's conversation with the model's system prompt and messages joined as Ollama joins them
     * ({@link ModelDefaults#chat}), rendered by the model's template.
     */
    public String renderConversation(List<ChatMessage> request) {
        return renderChat(defaults.chat(request));
    }

    /** Exactly these messages rendered by the chat template, opening the assistant's turn. */
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
