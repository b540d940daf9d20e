package io.strata.model.modelfile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.chat.ChatMessage;
import io.strata.model.store.Layer;
import io.strata.model.store.MediaTypes;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelStore;
import io.strata.model.store.PackagedModel;
import io.strata.model.store.ResolvedModel;
import io.strata.model.store.StoredModel;
import io.strata.model.store.TextLayer;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a model brings besides its weights, as a Modelfile set it: default PARAMETERs, the TEMPLATE (Ollama's Go
 * template, which replaces the GGUF's Jinja chat template), the SYSTEM prompt, MESSAGE turns and LICENSE texts.
 * A request's own value wins over each of these, and each of these over the built-in default; the two rules
 * below say how the system prompt and messages join a request's conversation, as Ollama's server does.
 */
public record ModelDefaults(ModelParameters parameters, Optional<String> template, Optional<String> system,
                            List<ChatMessage> messages, List<String> licenses) {
    /** A model without any: a plain GGUF. */
    public static final ModelDefaults NONE = new ModelDefaults(ModelParameters.NONE, Optional.empty(), Optional.empty(),
            List.of(), List.of());

    /** The media types of the text layers this reads (the weights, config and other layers are not text). */
    public static final Set<String> TEXT_MEDIA_TYPES = Set.of(MediaTypes.PARAMS, MediaTypes.TEMPLATE, MediaTypes.SYSTEM,
            MediaTypes.MESSAGES, MediaTypes.LICENSE);

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelDefaults {
        messages = List.copyOf(messages);
        licenses = List.copyOf(licenses);
    }

    /** The defaults of a resolved model: none for a file; a stored or packaged model's from its layers. */
    public static ModelDefaults of(final ModelLocator locator, final ResolvedModel model) {
        return switch (model) {
            case ResolvedModel.File f -> NONE;
            case ResolvedModel.Stored s -> fromLayers(textLayers(locator.store().orElseThrow(), s.model()),
                    "model " + s.model().name().displayShortest());
            case ResolvedModel.Packaged p -> fromLayers(p.model().layers(), p.model().jar() + "!/" + PackagedModel.DESCRIPTOR);
        };
    }

    /** A stored model's text layers with their texts, in manifest order. */
    public static List<TextLayer> textLayers(final ModelStore store, final StoredModel model) {
        final List<TextLayer> out = new ArrayList<>();
        for (Layer l : model.manifest().layers()) {
            if (TEXT_MEDIA_TYPES.contains(l.mediaType())) {
                out.add(new TextLayer(l.mediaType(), store.readText(l)));
            }
        }
        return out;
    }

    /**
     * Reads text layers; {@code source} names them in errors. A layer that does not parse (parameters or messages
     * that are not the JSON they should be, a template Strata cannot parse) is an error naming the source.
     */
    public static ModelDefaults fromLayers(final List<TextLayer> layers, final String source) {
        ModelParameters params = ModelParameters.NONE;
        Optional<String> template = Optional.empty();
        Optional<String> system = Optional.empty();
        final List<ChatMessage> messages = new ArrayList<>();
        final List<String> licenses = new ArrayList<>();
        for (TextLayer l : layers) {
            switch (l.mediaType()) {
                case MediaTypes.PARAMS -> params = ModelParameters.fromJson(l.text(), source + " parameters");
                case MediaTypes.TEMPLATE -> template = Optional.of(l.text());
                case MediaTypes.SYSTEM -> system = Optional.of(l.text());
                case MediaTypes.MESSAGES -> {
                    messages.clear();
                    messages.addAll(parseMessages(l.text(), source));
                }
                case MediaTypes.LICENSE -> licenses.add(l.text());
                default -> { } // not a text layer this reads
            }
        }
        return new ModelDefaults(params, template, system, messages, licenses);
    }

    private static List<ChatMessage> parseMessages(final String json, final String source) {
        final JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": messages are not JSON");
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException(source + ": messages are not a JSON array");
        }
        final List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : root) {
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new IllegalArgumentException(source + ": a message lacks a text role or content: " + m);
            }
            out.add(new ChatMessage(m.get("role").textValue(), m.get("content").textValue()));
        }
        return out;
    }

    public boolean isEmpty() {
        return parameters.isEmpty() && template.isEmpty() && system.isEmpty() && messages.isEmpty() && licenses.isEmpty();
    }

    /** A numeric parameter, if the model sets it. */
    public Optional<Double> number(final Parameter p) {
        return parameters.number(p);
    }

    /** An integer parameter, if the model sets it (values beyond an int are clamped). */
    public Optional<Integer> integer(final Parameter p) {
        return parameters.number(p).map(d -> (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, d)));
    }

    /** The seed, if the model sets one. */
    public Optional<Long> seed() {
        final Object v = parameters.values().get(Parameter.SEED.ollamaName());
        return v instanceof Number n ? Optional.of(n.longValue()) : Optional.empty();
    }

    /** The stop strings, if the model sets any. */
    public Optional<List<String>> stop() {
        final List<String> s = parameters.stop();
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    /**
     * A chat request's conversation with the model's messages and system prompt, by Ollama's rule
     * ({@code server/routes.go} ChatHandler): the model's MESSAGEs come first, then the request's; the model's SYSTEM
     * goes in front unless the request's first message is a system message of its own.
     */
    public List<ChatMessage> chat(final List<ChatMessage> request) {
        final List<ChatMessage> out = new ArrayList<>();
        final boolean ownSystem = !request.isEmpty() && request.getFirst().role().equals("system");
        if (system.isPresent() && !ownSystem) {
            out.add(ChatMessage.system(system.get()));
        }
        out.addAll(messages);
        out.addAll(request);
        return out;
    }

    /**
     * A generate request's conversation, by Ollama's rule (GenerateHandler): the request's system prompt, else the
     * model's; then the model's MESSAGEs; then the prompt as the user's turn.
     *
     * @param requestSystem the request's {@code system}, or null
     */
    public List<ChatMessage> generate(final String requestSystem, final String prompt) {
        final List<ChatMessage> out = new ArrayList<>();
        systemFor(requestSystem).ifPresent(s -> out.add(ChatMessage.system(s)));
        out.addAll(messages);
        out.add(ChatMessage.user(prompt));
        return out;
    }

    /** The request's system prompt (when it gives a non-empty one), else the model's. */
    public Optional<String> systemFor(final String requestSystem) {
        return requestSystem != null && !requestSystem.isEmpty() ? Optional.of(requestSystem) : system;
    }

    /** The licenses as Ollama's show joins them. */
    public String license() {
        return String.join("\n", licenses);
    }

    /**
     * The parameters as Ollama's {@code /api/show} prints them: one {@code name value} line per value (each stop
     * string on its own line), the name padded to 30 columns, strings quoted, whole numbers without a fraction.
     */
    public String parametersText() {
        final List<String> lines = new ArrayList<>();
        parameters.values().forEach((k, v) -> {
            if (v instanceof List<?> l) {
                l.forEach(s -> lines.add(String.format(Locale.ROOT, "%-30s %s", k, ModelParameters.quote(String.valueOf(s)))));
            } else {
                lines.add(String.format(Locale.ROOT, "%-30s %s", k, number(v)));
            }
        });
        return String.join("\n", lines);
    }

    private static String number(final Object v) {
        if (v instanceof Double d && Double.isFinite(d)) {
            return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        }
        return String.valueOf(v);
    }

    /**
     * The Modelfile instructions after FROM that recreate these defaults, as {@code ollama show --modelfile} writes
     * them: TEMPLATE, SYSTEM, PARAMETERs, MESSAGEs, LICENSEs.
     */
    public String modelfileInstructions() {
        final StringBuilder b = new StringBuilder();
        template.ifPresent(t -> b.append("TEMPLATE \"\"\"").append(t).append("\"\"\"\n"));
        system.ifPresent(s -> b.append("SYSTEM \"\"\"").append(s).append("\"\"\"\n"));
        parameters.toText().lines().forEach(line -> b.append("PARAMETER ").append(line).append('\n'));
        messages.forEach(m -> b.append("MESSAGE ").append(m.role()).append(" \"\"\"").append(m.content()).append("\"\"\"\n"));
        licenses.forEach(l -> b.append("LICENSE \"\"\"").append(l).append("\"\"\"\n"));
        return b.toString();
    }
}
