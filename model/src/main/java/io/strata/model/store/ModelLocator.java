package io.strata.model.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds a model given as a path or as a bare file name. Names are looked up in the folders of
 * {@code STRATA_MODEL_PATH} (a ':'-separated list) and their immediate subfolders; when the variable is unset,
 * in {@code ../shared/models} (or the folder in the system property {@code strata.model.path.default}).
 */
public final class ModelLocator {
    public static final String ENV = "STRATA_MODEL_PATH";

    private final List<Path> roots;

    public ModelLocator(List<Path> roots) {
        this.roots = List.copyOf(roots);
    }

    /** The locator configured by the environment. */
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
        return new ModelLocator(roots);
    }

    public List<Path> roots() { return roots; }

    /** The model's path; throws {@link ModelNotFoundException} naming what was searched. */
    public Path locate(String model) {
        Path direct = Path.of(model);
        if (Files.exists(direct)) {
            return direct;
        }
        if (!model.contains("/")) {
            for (Path root : roots) {
                Path p = root.resolve(model);
                if (Files.exists(p)) {
                    return p;
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
                            return p;
                        }
                    }
                } catch (IOException ignored) {
                    // an unreadable folder simply holds nothing we can use
                }
            }
        }
        throw new ModelNotFoundException(model, roots);
    }

    /** The model could not be found as a path or on the search path. */
    public static final class ModelNotFoundException extends RuntimeException {
        public ModelNotFoundException(String model, List<Path> roots) {
            super("model not found: " + model + " (not a file, and not in " + ModelLocator.ENV + " folders "
                    + roots.stream().map(Path::toString).toList() + " or their subfolders)");
        }
    }
}
