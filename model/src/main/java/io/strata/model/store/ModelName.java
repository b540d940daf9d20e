package io.strata.model.store;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model name as Ollama spells it: {@code [host/][namespace/]model[:tag]}, with host {@value #DEFAULT_HOST},
 * namespace {@value #DEFAULT_NAMESPACE} and tag {@value #DEFAULT_TAG} filled in when left out
 * (ollama {@code types/model/name.go}). A tag is recognised only when the last {@code :} comes after the last
 * {@code /}; a scheme prefix ({@code https://}) is accepted and dropped. Names compare case-insensitively
 * ({@link #sameAs}); the record keeps the spelling it was given.
 */
public record ModelName(String host, String namespace, String model, String tag) {
    public static final String DEFAULT_HOST = "registry.ollama.ai";
    public static final String DEFAULT_NAMESPACE = "library";
    public static final String DEFAULT_TAG = "latest";

    private static final Pattern MODEL_OR_TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]*");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.:-]*");
    private static final int MAX_PART = 80;
    private static final int MAX_HOST = 350;

    public ModelName {
        check("host", host, HOST, MAX_HOST, "letters, digits, '_', '.', ':' and '-'");
        check("namespace", namespace, NAMESPACE, MAX_PART, "letters, digits, '_' and '-'");
        check("model", model, MODEL_OR_TAG, MAX_PART, "letters, digits, '_', '.' and '-'");
        check("tag", tag, MODEL_OR_TAG, MAX_PART, "letters, digits, '_', '.' and '-'");
    }

    /** Parses and validates a name; the exception names the part that is wrong and why. */
    public static ModelName parse(final String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidModelNameException("a model name is required");
        }
        String s = text.strip();
        final int scheme = s.indexOf("://");
        if (scheme >= 0) {
            s = s.substring(scheme + 3);
        }
        String tag = DEFAULT_TAG;
        final int colon = s.lastIndexOf(':');
        if (colon > s.lastIndexOf('/')) {
            tag = s.substring(colon + 1);
            s = s.substring(0, colon);
            if (tag.isEmpty()) {
                throw new InvalidModelNameException("invalid model name \"" + text + "\": empty tag after ':'");
            }
        }
        final String[] parts = s.split("/", -1);
        try {
            return switch (parts.length) {
                case 1 -> new ModelName(DEFAULT_HOST, DEFAULT_NAMESPACE, parts[0], tag);
                case 2 -> new ModelName(DEFAULT_HOST, parts[0], parts[1], tag);
                case 3 -> new ModelName(parts[0], parts[1], parts[2], tag);
                default -> throw new InvalidModelNameException("too many '/'-separated parts (at most host/namespace/model)");
            };
        } catch (InvalidModelNameException e) {
            throw new InvalidModelNameException("invalid model name \"" + text + "\": " + e.getMessage());
        }
    }

    /** The name, or empty when {@code text} is not a valid model name (a file path, say). */
    public static Optional<ModelName> tryParse(final String text) {
        try {
            return Optional.of(parse(text));
        } catch (InvalidModelNameException e) {
            return Optional.empty();
        }
    }

    /** The shortest spelling that parses back to this name: {@code llama3.2:latest}, {@code ns/m:t}, or all parts. */
    public String displayShortest() {
        if (host.equalsIgnoreCase(DEFAULT_HOST)) {
            if (namespace.equalsIgnoreCase(DEFAULT_NAMESPACE)) {
                return model + ":" + tag;
            }
            return namespace + "/" + model + ":" + tag;
        }
        return toString();
    }

    /** Same name, ignoring case (Ollama's rule). */
    public boolean sameAs(final ModelName other) {
        return key().equals(other.key());
    }

    /** A case-folded form, for maps and sets. */
    public String key() {
        return toString().toLowerCase(Locale.ROOT);
    }

    /** Where the manifest lives under a store's {@code manifests} folder: {@code host/namespace/model/tag}. */
    public Path manifestPath(final Path manifestsRoot) {
        return manifestsRoot.resolve(host).resolve(namespace).resolve(model).resolve(tag);
    }

    @Override
    public String toString() {
        return host + "/" + namespace + "/" + model + ":" + tag;
    }

    private static void check(final String part, final String value, final Pattern pattern, final int max,
                              final String allowed) {
        if (value == null || value.isEmpty()) {
            throw new InvalidModelNameException("empty " + part);
        }
        if (value.length() > max) {
            throw new InvalidModelNameException(part + " \"" + value + "\" is longer than " + max + " characters");
        }
        if (!pattern.matcher(value).matches()) {
            throw new InvalidModelNameException(part + " \"" + value + "\" may hold only " + allowed
                    + ", and must start with a letter, digit or '_'");
        }
    }

    /** The text is not a valid model name; the message says which part and why. */
    public static final class InvalidModelNameException extends IllegalArgumentException {
        public InvalidModelNameException(final String message) {
            super(message);
        }
    }
}
