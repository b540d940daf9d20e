package io.strata.model.remote;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.store.Digest;
import io.strata.model.store.Layer;
import io.strata.model.store.MediaTypes;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import io.strata.model.store.StoredModel;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code strata push NAME oci://REGISTRY/REPOSITORY:TAG}: uploads a stored model as an OCI artifact
 * ({@link OciArtifact#forPush}). Blobs the registry already has are not sent again; the manifest goes last, so a
 * registry never holds a manifest whose blobs are missing.
 */
public final class ModelPusher {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelStore store;
    private final RemoteSettings settings;
    private final TransferListener listener;

    public ModelPusher(final ModelStore store, final RemoteSettings settings, final TransferListener listener) {
        this.store = store;
        this.settings = settings;
        this.listener = listener;
    }

    /** Pushes the model; returns the digest of the manifest the registry now holds under the tag. */
    public Digest push(final ModelName name, final ModelReference.Oci target) {
        if (target.tag() == null) {
            throw new IllegalArgumentException("push needs a tag (oci://REGISTRY/REPOSITORY:TAG), not a digest: " + target.text());
        }
        final StoredModel model = store.get(name);
        final OciArtifact.Pushed pushed = OciArtifact.forPush(model.manifest(), ollamaConfig(model), name.displayShortest());
        try (Http http = new Http(settings.download().connectTimeout(), settings.download().connectTimeout())) {
            final RegistryClient client = new RegistryClient(http, target.registry(), target.repository(), settings, true);
            for (Layer l : pushed.layers()) {
                final Path blob = store.blobs().path(l.digest());
                final String label = label(l);
                if (client.hasBlob(l.digest())) {
                    listener.step("layer " + l.digest().shortHex() + " (" + label + ") already in " + client.where());
                    continue;
                }
                if (!Files.isRegularFile(blob)) {
                    throw new TransferException("blob " + l.digest() + " of " + name.displayShortest() + " is missing from " + store.blobs().dir());
                }
                listener.step("pushing " + l.digest().shortHex() + " (" + label + ", " + l.size() + " bytes)");
                client.upload(l.digest(), l.size(), () -> open(blob), listener, label);
            }
            if (!client.hasBlob(pushed.configLayer().digest())) {
                client.upload(pushed.configLayer().digest(), pushed.config().length,
                        () -> new ByteArrayInputStream(pushed.config()), TransferListener.QUIET, "config");
            }
            listener.step("pushing manifest");
            final Digest digest = client.putManifest(target.tag(), pushed.manifest(), MediaTypes.OCI_MANIFEST);
            listener.step("success");
            return digest;
        }
    }

    private static String label(final Layer l) {
        return l.mediaType().equals(MediaTypes.MODELPACK_WEIGHT_RAW) ? "model" : ModelPuller.kind(l.mediaType());
    }

    private Map<String, Object> ollamaConfig(final StoredModel model) {
        try {
            return JSON.readValue(store.blobs().read(model.manifest().config().digest()), new TypeReference<>() {});
        } catch (IOException | RuntimeException e) {
            return Map.of(); // a config that does not read only leaves the ModelPack config without those fields
        }
    }

    private static java.io.InputStream open(final Path p) {
        try {
            return Files.newInputStream(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
