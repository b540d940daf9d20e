package io.strata.model.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** The shared reference folder (models, golden outputs); surefire sets {@code strata.shared} to it. */
final class SharedFiles {
    private SharedFiles() {
    }

    static Path root() {
        final Path root = Path.of(System.getProperty("strata.shared", "../shared"));
        if (!Files.isDirectory(root.resolve("models"))) {
            fail("shared reference folder not found at " + root.toAbsolutePath()
                    + " (set -Dstrata.shared=... to the folder holding models/ and golden/)");
        }
        return root;
    }

    static Path require(final String relative) {
        final Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            fail("missing shared file " + p.toAbsolutePath());
        }
        return p;
    }
}
