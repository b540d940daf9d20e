package io.strata.model.remote;

import io.strata.model.store.Digest;
import io.strata.model.store.ModelName;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a model comes from, written as Ramalama writes it: {@code hf://ORG/REPO[@REVISION]/FILE} (also
 * {@code huggingface://}), {@code oci://REGISTRY/REPOSITORY[:TAG|@sha256:HEX]},
 * {@code ollama://[REGISTRY/][NAMESPACE/]MODEL[:TAG]}, {@code https://URL[#sha256=HEX]} (or {@code http://}) and
 * {@code file://PATH}. Each has the store name a pull gives it when no other is asked for ({@link #defaultName}).
 */
public sealed interface ModelReference {
    /** The host under which {@code hf://} models are stored, as Ollama names Hugging Face models. */
    String HF_HOST = "hf.co";

    /** The reference as it was written. */
    String text();

    /** The name a pull stores the model under; an {@link IllegalArgumentException} says to choose one. */
    ModelName defaultName();

    /** A file in a Hugging Face repository at a revision (branch, tag or commit; default {@code main}). */
    record HuggingFace(String text, String org, String repo, String revision, String file) implements ModelReference {
        @Override
        public ModelName defaultName() {
            return named(text, () -> new ModelName(HF_HOST, org, repo, tagOf(fileName(file))));
        }
    }

    /** A manifest in an OCI registry, by tag or by digest (then {@code tag} is null). */
    record Oci(String text, String registry, String repository, String tag, Digest digest) implements ModelReference {
        /** The tag or digest, as the manifest URL takes it. */
        public String reference() {
            return digest != null ? digest.toString() : tag;
        }

        @Override
        public ModelName defaultName() {
            return named(text, () -> {
                final String[] parts = repository.split("/");
                final String tagOrDigest = digest != null ? "sha256-" + digest.shortHex() : tag;
                return switch (parts.length) {
                    case 1 -> new ModelName(registry, ModelName.DEFAULT_NAMESPACE, parts[0], tagOrDigest);
                    case 2 -> new ModelName(registry, parts[0], parts[1], tagOrDigest);
                    default -> throw new IllegalArgumentException("the repository " + repository
                            + " has more than two parts, a store name has namespace/model");
                };
            });
        }
    }

    /** A model in an Ollama registry ({@code registry.ollama.ai} unless the name has a host). */
    record Ollama(String text, ModelName name) implements ModelReference {
        @Override
        public ModelName defaultName() {
            return name;
        }
    }

    /** A file at a URL, with the sha256 it must have when the URL says ({@code #sha256=HEX}, as pip writes it). */
    record Url(String text, URI uri, Digest expected) implements ModelReference {
        @Override
        public ModelName defaultName() {
            return named(text, () -> new ModelName(uri.getRawAuthority(), ModelName.DEFAULT_NAMESPACE,
                    tagOf(fileName(uri.getPath())), ModelName.DEFAULT_TAG));
        }
    }

    /** A local file, imported into the store (a hard link where it can be). */
    record LocalFile(String text, Path path) implements ModelReference {
        @Override
        public ModelName defaultName() {
            return named(text, () -> new ModelName(ModelName.DEFAULT_HOST, ModelName.DEFAULT_NAMESPACE,
                    tagOf(fileName(path.toString())), ModelName.DEFAULT_TAG));
        }
    }

    /** The schemes this parser knows, lower case, without {@code ://}. */
    List<String> SCHEMES = List.of("hf", "huggingface", "oci", "ollama", "https", "http", "file");

    /** True when the text starts with one of the {@link #SCHEMES}: it is a reference, not a name or a path. */
    static boolean isReference(final String text) {
        return scheme(text).filter(SCHEMES::contains).isPresent();
    }

    /** Parses a reference; the {@link IllegalArgumentException} names what is wrong with it. */
    static ModelReference parse(final String text) {
        final String scheme = scheme(text).orElseThrow(() -> new IllegalArgumentException("\"" + text
                + "\" is not a model reference (hf://, oci://, ollama://, https://, file://)"));
        final String rest = text.substring(scheme.length() + 3);
        try {
            return switch (scheme) {
                case "hf", "huggingface" -> huggingFace(text, rest);
                case "oci" -> oci(text, rest);
                case "ollama" -> new Ollama(text, ModelName.parse(rest));
                case "https", "http" -> url(text);
                case "file" -> {
                    if (rest.isEmpty()) {
                        throw new IllegalArgumentException("no path after file://");
                    }
                    yield new LocalFile(text, Path.of(rest));
                }
                default -> throw new IllegalArgumentException("unknown scheme " + scheme + "://; known: "
                        + String.join(", ", SCHEMES.stream().map(s -> s + "://").toList()));
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid model reference \"" + text + "\": " + e.getMessage(), e);
        }
    }

    private static Optional<String> scheme(final String text) {
        if (text == null) {
            return Optional.empty();
        }
        final int i = text.indexOf("://");
        if (i <= 0 || !text.substring(0, i).matches("[A-Za-z][A-Za-z0-9+.-]*")) {
            return Optional.empty();
        }
        return Optional.of(text.substring(0, i).toLowerCase(Locale.ROOT));
    }

    /** Hugging Face repository and user names: letters, digits, '-', '_' and '.', not starting with '.' or '-'. */
    Pattern HF_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    /** The OCI distribution-spec repository name grammar. */
    Pattern OCI_REPOSITORY = Pattern.compile("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
    Pattern OCI_TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    Pattern AUTHORITY = Pattern.compile("[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+](:[0-9]{1,5})?");

    private static HuggingFace huggingFace(final String text, final String rest) {
        final String[] parts = rest.split("/", -1);
        if (parts.length < 3) {
            throw new IllegalArgumentException("expected hf://ORG/REPO[@REVISION]/FILE (a GGUF file in the repository)");
        }
        String repo = parts[1];
        String revision = "main";
        final int at = repo.indexOf('@');
        if (at >= 0) {
            revision = URLDecoder.decode(repo.substring(at + 1), StandardCharsets.UTF_8);
            repo = repo.substring(0, at);
            if (revision.isEmpty()) {
                throw new IllegalArgumentException("empty revision after '@'");
            }
        }
        if (!HF_NAME.matcher(parts[0]).matches() || !HF_NAME.matcher(repo).matches()) {
            throw new IllegalArgumentException("\"" + parts[0] + "/" + repo + "\" is not a Hugging Face repository id");
        }
        final List<String> path = List.of(parts).subList(2, parts.length);
        for (String segment : path) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("the file path " + String.join("/", path)
                        + " has an empty, '.' or '..' segment");
            }
        }
        return new HuggingFace(text, parts[0], repo, revision, String.join("/", path));
    }

    private static Oci oci(final String text, final String rest) {
        final int slash = rest.indexOf('/');
        if (slash <= 0) {
            throw new IllegalArgumentException("expected oci://REGISTRY/REPOSITORY[:TAG|@sha256:HEX]");
        }
        final String registry = rest.substring(0, slash);
        if (!AUTHORITY.matcher(registry).matches()) {
            throw new IllegalArgumentException("\"" + registry + "\" is not a registry host[:port]");
        }
        String repository = rest.substring(slash + 1);
        String tag = null;
        Digest digest = null;
        final int at = repository.indexOf('@');
        if (at >= 0) {
            digest = Digest.parse(repository.substring(at + 1));
            repository = repository.substring(0, at);
        } else {
            final int colon = repository.lastIndexOf(':');
            tag = "latest";
            if (colon > repository.lastIndexOf('/')) {
                tag = repository.substring(colon + 1);
                repository = repository.substring(0, colon);
                if (!OCI_TAG.matcher(tag).matches()) {
                    throw new IllegalArgumentException("tag \"" + tag + "\" may hold letters, digits, '_', '.' and '-'"
                            + " (at most 128, not starting with '.' or '-')");
                }
            }
        }
        if (!OCI_REPOSITORY.matcher(repository).matches()) {
            throw new IllegalArgumentException("repository \"" + repository + "\" is not a valid OCI repository name"
                    + " (lower-case letters and digits, separated by '.', '_', '__', '-' or '/')");
        }
        return new Oci(text, registry, repository, tag, digest);
    }

    private static Url url(final String text) {
        final int hash = text.indexOf('#');
        final String fragment = hash >= 0 ? text.substring(hash + 1) : null;
        final URI uri;
        try {
            uri = new URI(hash >= 0 ? text.substring(0, hash) : text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (uri.getRawAuthority() == null || uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().endsWith("/")) {
            throw new IllegalArgumentException("a URL of a file is required (host and a path ending in a file name)");
        }
        Digest expected = null;
        if (fragment != null) {
            if (!fragment.startsWith("sha256=")) {
                throw new IllegalArgumentException("the fragment #" + fragment + " is not #sha256=HEX");
            }
            expected = new Digest(fragment.substring("sha256=".length()).toLowerCase(Locale.ROOT));
        }
        return new Url(text, uri, expected);
    }

    private static String fileName(final String path) {
        final String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return p.substring(p.lastIndexOf('/') + 1);
    }

    /** A file name as a model name or tag: without {@code .gguf}, other characters than the allowed become '_'. */
    private static String tagOf(final String fileName) {
        String stem = fileName.toLowerCase(Locale.ROOT).endsWith(".gguf")
                ? fileName.substring(0, fileName.length() - 5) : fileName;
        stem = stem.replaceAll("[^A-Za-z0-9_.-]", "_");
        if (!stem.isEmpty() && !Character.isLetterOrDigit(stem.charAt(0)) && stem.charAt(0) != '_') {
            stem = "_" + stem;
        }
        return stem.length() > 80 ? stem.substring(0, 80) : stem;
    }

    private static ModelName named(final String text, final java.util.function.Supplier<ModelName> name) {
        try {
            return name.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("no store name follows from " + text + " (" + e.getMessage()
                    + "); choose one with --name", e);
        }
    }
}
