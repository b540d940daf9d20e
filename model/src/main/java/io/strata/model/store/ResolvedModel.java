package io.strata.model.store;

import java.nio.file.Path;

/** What a model reference named: a model in the store, or a GGUF file found on the search path or as a path. */
public sealed interface ResolvedModel {
    /** The GGUF file to open. */
    Path gguf();

    /** A stored model; {@code gguf} is its model blob. */
    record Stored(StoredModel model, Path gguf) implements ResolvedModel {}

    /** A file outside the store. */
    record File(Path gguf) implements ResolvedModel {}
}
