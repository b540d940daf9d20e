package io.strata.model.store;

/** A manifest file is not one this store can read; the message names the file and the field. */
public final class ManifestException extends StoreException {
    public ManifestException(final String source, final String problem) {
        super("manifest " + source + ": " + problem);
    }
}
