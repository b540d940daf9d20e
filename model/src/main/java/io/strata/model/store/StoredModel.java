package io.strata.model.store;

import java.nio.file.Path;
import java.time.Instant;

/** A model in the store: its name, manifest, the manifest's digest (the model's id) and when it was written. */
public record StoredModel(ModelName name, Manifest manifest, Digest manifestDigest, Instant modified, Path manifestFile) {

    /** Config plus layers, in bytes. */
    public long size() {
        return manifest.totalSize();
    }
}
