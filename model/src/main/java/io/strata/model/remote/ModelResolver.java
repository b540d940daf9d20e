package io.strata.model.remote;

import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import io.strata.model.store.ResolvedModel;
import io.strata.model.store.StoredModel;

import java.nio.file.Files;
import java.util.Optional;

/**
 * Turns any model reference into a model: a stored name, a file name on {@code STRATA_MODEL_PATH} or a path (the
 * {@link ModelLocator}'s order), or a transport reference ({@code hf://}, {@code oci://}, {@code ollama://},
 * {@code https://}): the model stored under the name a pull gives it when it is there, else pulled first, as
 * {@code ollama run} does. A {@code file://} reference is the file itself.
 */
public final class ModelResolver {
    private final ModelLocator locator;
    private final ModelStore store;
    private final RemoteSettings settings;
    private final TransferListener listener;

    public ModelResolver(final ModelLocator locator, final RemoteSettings settings, final TransferListener listener) {
        this.locator = locator;
        this.store = locator.store().orElse(null);
        this.settings = settings;
        this.listener = listener;
    }

    /** The environment's locator (store of {@code STRATA_HOME}, {@code STRATA_MODEL_PATH}) and remote settings. */
    public static ModelResolver fromEnvironment(final TransferListener listener) {
        return new ModelResolver(ModelLocator.fromEnvironment(), RemoteSettings.fromEnvironment(), listener);
    }

    public ModelLocator locator() {
        return locator;
    }

    public ResolvedModel resolve(final String model) {
        if (!ModelReference.isReference(model)) {
            return locator.resolve(model);
        }
        final ModelReference ref = ModelReference.parse(model);
        if (ref instanceof ModelReference.LocalFile f) {
            if (!Files.isRegularFile(f.path())) {
                throw new ModelLocator.ModelNotFoundException(model, locator.roots(), store);
            }
            return new ResolvedModel.File(f.path());
        }
        if (store == null) {
            throw new IllegalStateException("pulling " + model + " needs a model store");
        }
        final ModelName name = ref.defaultName();
        final Optional<StoredModel> stored = store.find(name);
        final StoredModel found = stored.orElseGet(() -> new ModelPuller(store, settings, listener).pull(ref, name));
        return new ResolvedModel.Stored(found, store.modelFile(found));
    }
}
