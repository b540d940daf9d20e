package io.strata.coordinator.models;

import io.strata.coordinator.ServedModel;
import io.strata.model.store.ResolvedModel;

/**
 * A model a name resolved to, before it is loaded.
 *
 * @param key  its identity: two names of one model (a name and its {@code cp} copy, a file name with and without
 *             {@code .gguf}) share one loaded copy
 * @param name the name it is served and reported under
 */
public record ModelSpec(String key, String name, ResolvedModel resolved) {

    /** Whether a request's {@code model} names it (as {@link ServedModel#answersTo} decides). */
    public boolean answersTo(String requested) {
        return ServedModel.answersTo(requested, name, resolved.gguf());
    }

    /** The identity of a resolved model: its manifest for a stored one, its file otherwise. */
    public static String keyOf(ResolvedModel resolved) {
        return switch (resolved) {
            case ResolvedModel.Stored s -> "manifest:" + s.model().manifestDigest().hex();
            case ResolvedModel.Packaged p -> "packaged:" + p.model().jar().toAbsolutePath().normalize();
            case ResolvedModel.File f -> "file:" + f.gguf().toAbsolutePath().normalize();
        };
    }
}
