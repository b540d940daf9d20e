package io.strata.model.store;

import io.strata.model.ModelSource;
import io.strata.model.gguf.GgufFile;

import java.nio.file.Path;

/**
 * What a model reference named: a model in the store, a GGUF file found on the search path or as a path, or the
 * model packaged inside the running jar.
 */
public sealed interface ResolvedModel {
    /** The file that holds the GGUF: the GGUF itself, except for {@link Packaged}, where it is the jar. */
    Path gguf();

    /** Maps and parses the model's GGUF; the caller closes it. */
    default GgufFile openGguf() {
        return GgufFile.open(gguf());
    }

    /** Opens the model for loading: its GGUF, or a Hugging Face directory found as a file; the caller closes it. */
    default ModelSource open() {
        return ModelSource.open(gguf());
    }

    /** A stored model; {@code gguf} is its model blob. */
    record Stored(StoredModel model, Path gguf) implements ResolvedModel {}

    /** A file outside the store. */
    record File(Path gguf) implements ResolvedModel {}

    /** The model inside a jar written by {@code strata package}: mapped in place from the jar. */
    record Packaged(PackagedModel model) implements ResolvedModel {
        @Override
        public Path gguf() {
            return model.jar();
        }

        @Override
        public GgufFile openGguf() {
            return model.openGguf();
        }

        @Override
        public ModelSource open() {
            return model.openGguf();
        }
    }
}
