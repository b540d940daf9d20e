package io.strata.model.store;

import java.util.Objects;

/** One entry of a manifest: a blob and what it holds. */
public record Layer(String mediaType, Digest digest, long size) {
    public Layer {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        if (size < 0) {
            throw new IllegalArgumentException("negative layer size " + size);
        }
    }
}
