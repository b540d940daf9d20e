package io.strata.coordinator;

import io.strata.inference.LocalModel;
import io.strata.model.chat.ChatMessage;
import io.strata.model.chat.ChatTemplate;
import io.strata.model.modelfile.ModelDefaults;
import io.strata.model.tokenizer.Tokenizer;
import io.strata.worker.engine.InferenceEngine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A model as the HTTP API serves it: its name, its tokenizer and chat template (the coordinator's half of a
 * request), and the engine that generates (the worker's half).
 */
public final class ServedModel {
    private final LocalModel model;
    private final InferenceEngine engine;
    private final ChatTemplate template;
    private final boolean hasTemplate;
    private final String bosText;
    private final String eosText;
    private final ModelFacts facts;

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
        this(ModelFacts.of(name, path, model.file(), defaults, engine.contextSize(), null), model, engine);
    }

    /** A model described by {@code facts} (read from {@code model}'s source), generating on {@code engine}. */
    public ServedModel(ModelFacts facts, LocalModel model, InferenceEngine engine) {
        this.facts = facts;
        this.model = model;
        this.engine = engine;
        ModelDefaults defaults = facts.defaults();
        String source = model.chatTemplate();
        this.hasTemplate = defaults.template().isPresent() || (source != null && !source.isBlank());
        this.template = ChatTemplate.forModel(model.file().metadata(), defaults.template());
        Tokenizer tok = model.tokenizer();
        this.bosText = tokenText(tok, tok.vocabulary().bos());
        this.eosText = tokenText(tok, tok.vocabulary().eos());
    }

    /** The name a file is served under: its file name without {@code .gguf}. */
    public static String defaultName(Path path) {
        String f = path.getFileName().toString();
        return f.toLowerCase(Locale.ROOT).endsWith(".gguf") ? f.substring(0, f.length() - 5) : f;
    }

    public String name() { return facts.name(); }

    public Path path() { return facts.path(); }

    public LocalModel model() { return model; }

    public InferenceEngine engine() { return engine; }

    public Tokenizer tokenizer() { return model.tokenizer(); }

    public boolean hasChatTemplate() { return hasTemplate; }

    /** What the API reports about this model (show, tags, ps). */
    public ModelFacts facts() { return facts; }

    /** The model's Modelfile defaults ({@link ModelDefaults#NONE} for a plain GGUF). */
    public ModelDefaults defaults() { return facts.defaults(); }

    /** The prompt template as Ollama's show reports it: the Modelfile TEMPLATE, else the GGUF's Jinja template. */
    public String templateSource() { return facts.templateSource(); }

    public long modifiedEpochSeconds() { return facts.modifiedEpochSeconds(); }

    public long sizeBytes() { return facts.sizeBytes(); }

    public int contextSize() { return engine.contextSize(); }

    /** Elements of all tensors. */
    public long parameterCount() { return facts.parameterCount(); }

    /** The tensor type holding most elements (Ollama's quantization_level). */
    public String dominantType() { return facts.dominantType(); }

    /** Ollama's digest field: a stored model's manifest digest, else an id of the file (path, size, time). */
    public String digest() { return facts.digest(); }

    /**
     * Whether a request's {@code model} names this model: its name, with or without an Ollama-style {@code :latest}
     * tag, or its file name.
     */
    public boolean answersTo(String requested) {
        return answersTo(requested, name(), path());
    }

    /** {@link #answersTo(String)} for a model named {@code name} held in {@code path}. */
    public static boolean answersTo(String requested, String name, Path path) {
        if (requested == null) {
            return false;
        }
        String r = stripLatest(requested);
        return r.equals(name) || (path.getFileName() != null && r.equals(path.getFileName().toString()));
    }

    /** A reference without Ollama's default {@code :latest} tag. */
    public static String stripLatest(String ref) {
        return ref.endsWith(":latest") ? ref.substring(0, ref.length() - 7) : ref;
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
        return renderChat(defaults().chat(request));
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
