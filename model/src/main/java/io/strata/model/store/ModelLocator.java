package io.strata.model.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds a model given as a store name, a bare file name or a path, in that order:
 * <ol>
 *   <li>in a jar written by {@code strata package} (its launcher sets {@value PackagedModel#PROPERTY}), the name of
 *       the model packaged in it;</li>
 *   <li>a valid model name ({@code llama3.2}, {@code ns/model:tag}) of a model in the local {@link ModelStore}
 *       (only for locators built with one, such as {@link #fromEnvironment()});</li>
 *   <li>a name without '/' looked up in the folders of {@code STRATA_MODEL_PATH} (a ':'-separated list) and their
 *       immediate subfolders; when the variable is unset, in {@code ../shared/models} (or the folder in the system
 *       property {@code strata.model.path.default});</li>
 *   <li>a path to a file.</li>
 * </ol>
 */
public final class ModelLocator {
    public static final String ENV = "STRATA_MODEL_PATH";

    private final ModelStore store;
    private final List<Path> roots;
    private final PackagedModel packaged;

    /** A locator over the search path only (no store). */
    public ModelLocator(List<Path> roots) {
        this(null, roots);
    }

    /** A locator over a store (may be null: none) and a search path. */
    public ModelLocator(ModelStore store, List<Path> roots) {
        this(store, roots, null);
    }

    /** A locator over a packaged model (may be null: none), a store (may be null) and a search path. */
    public ModelLocator(ModelStore store, List<Path> roots, PackagedModel packaged) {
        this.store = store;
        this.roots = List.copyOf(roots);
        this.packaged = packaged;
    }

    /** The locator configured by the environment: the store of {@code STRATA_HOME}, then {@code STRATA_MODEL_PATH}. */
    public static ModelLocator fromEnvironment() {
        String env = System.getenv(ENV);
        if (env == null || env.isBlank()) {
            env = System.getProperty("strata.model.path.default", "../shared/models");
        }
        List<Path> roots = new ArrayList<>();
        for (String s : env.split(":")) {
            if (!s.isBlank()) {
                roots.add(Path.of(s));
            }
        }
        String jar = System.getProperty(PackagedModel.PROPERTY);
        PackagedModel packaged = jar == null || jar.isBlank() ? null : PackagedModel.open(Path.of(jar));
        return new ModelLocator(ModelStore.fromEnvironment(), roots, packaged);
    }

    public List<Path> roots() { return roots; }

    /** The store consulted first, if any. */
    public Optional<ModelStore> store() { return Optional.ofNullable(store); }

    /** The model packaged in the running jar, if any. */
    public Optional<PackagedModel> packaged() { return Optional.ofNullable(packaged); }

    /** The model's GGUF path; throws {@link ModelNotFoundException} naming what was searched. */
    public Path locate(String model) {
        ResolvedModel r = resolve(model);
        if (r instanceof ResolvedModel.Packaged p) {
            throw new IllegalArgumentException(model + " is packaged inside " + p.model().jar()
                    + "; this command needs a GGUF file (serve, run and show take the packaged model)");
        }
        return r.gguf();
    }

    /** What the reference names: the packaged model, a stored model, or a file. */
    public ResolvedModel resolve(String model) {
        Optional<ResolvedModel> named = findNamed(model);
        if (named.isPresent()) {
            return named.get();
        }
        Path direct = Path.of(model);
        if (Files.exists(direct)) {
            return new ResolvedModel.File(direct);
        }
        throw new ModelNotFoundException(model, roots, store);
    }

    /**
     * What a name (never a path) resolves to: the packaged model, a stored model, or a file name on the search path.
     * This is the lookup for names that come over the network, which must not reach arbitrary files.
     */
    public Optional<ResolvedModel> findNamed(String model) {
        if (packaged != null && packaged.answersTo(model)) {
            return Optional.of(new ResolvedModel.Packaged(packaged));
        }
        if (store != null) {
            Optional<ModelName> name = ModelName.tryParse(model);
            if (name.isPresent()) {
                Optional<StoredModel> stored = store.find(name.get());
                if (stored.isPresent()) {
                    return Optional.of(new ResolvedModel.Stored(stored.get(), store.modelFile(stored.get())));
                }
            }
        }
        return onSearchPath(model).map(ResolvedModel.File::new);
    }

    /** A name without '/' (and not '.' or '..') in a search folder or one of its immediate subfolders. */
    private Optional<Path> onSearchPath(String model) {
        if (model.contains("/") || model.contains("\\") || model.isBlank() || model.equals(".") || model.equals("..")
                || model.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        for (Path root : roots) {
            Path p = root.resolve(model);
            if (Files.exists(p)) {
                return Optional.of(p);
            }
        }
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> children = Files.list(root)) {
                for (Path dir : children.filter(Files::isDirectory).sorted().toList()) {
                    Path p = dir.resolve(model);
                    if (Files.exists(p)) {
                        return Optional.of(p);
                    }
                }
            } catch (IOException ignored) {
                // an unreadable folder simply holds nothing we can use
            }
        }
        return Optional.empty();
    }

    /** The model could not be found in the store, on the search path or as a path. */
    public static final class ModelNotFoundException extends RuntimeException {
        public ModelNotFoundException(String model, List<Path> roots) {
            this(model, roots, null);
        }

        public ModelNotFoundException(String model, List<Path> roots, ModelStore store) {
            super("model not found: " + model + " (" + (store == null ? "" : "not in the store " + store.root() + ", ")
                    + "not a file, and not in " + ModelLocator.ENV + " folders "
                    + roots.stream().map(Path::toString).toList() + " or their subfolders)");
        }
    }
}
