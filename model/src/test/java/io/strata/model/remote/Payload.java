package io.strata.model.remote;

import io.strata.model.store.Digest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** The small real model the transfer tests move: stories260K.gguf from the shared models folder. */
final class Payload {
    private Payload() {
    }

    static Path path() {
        final Path p = Path.of(System.getProperty("strata.model.path.default", "../shared/models"), "stories260K.gguf");
        if (!Files.isRegularFile(p)) {
            fail("the test model " + p.toAbsolutePath() + " is missing (set STRATA_MODEL_PATH / strata.model.path.default)");
        }
        return p;
    }

    static byte[] bytes() {
        try {
            return Files.readAllBytes(path());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Digest digest() {
        return Digest.of(bytes());
    }
}
