package io.strata.model.remote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.gguf.GgufFile;
import io.strata.model.modelfile.GgufConfig;
import io.strata.model.store.BlobStore;
import io.strata.model.store.Digest;
import io.strata.model.store.Layer;
import io.strata.model.store.Manifest;
import io.strata.model.store.MediaTypes;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import io.strata.model.store.StoredModel;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code strata pull}: fetches a model into the store. Blobs the store already has are not fetched again; every other
 * blob is downloaded by a {@link BlobDownloader} into the store's {@code partial/} folder and checked, and only when
 * all of them are complete are they moved into {@code blobs/} and the manifest written, under the store's lock (so a
 * concurrent {@code rm} never prunes them in between). A failed pull leaves the store as it was.
 */
public final class ModelPuller {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private final ModelStore store;
    private final RemoteSettings settings;
    private final TransferListener listener;

    public ModelPuller(final ModelStore store, final RemoteSettings settings, final TransferListener listener) {
        this.store = store;
        this.settings = settings;
        this.listener = listener;
    }

    /** Pulls {@code ref} and stores it as {@code name} (null: the reference's {@link ModelReference#defaultName}). */
    public StoredModel pull(final ModelReference ref, final ModelName name) {
        final ModelName target = name != null ? name : ref.defaultName();
        if (ref instanceof ModelReference.LocalFile f) {
            return importFile(f, target);
        }
        try (Http http = new Http(settings.download().connectTimeout(), settings.download().connectTimeout())) {
            final BlobDownloader downloader = new BlobDownloader(http, store.partialDir(), settings.download(), listener);
            return switch (ref) {
                case ModelReference.HuggingFace hf -> pullHuggingFace(http, downloader, hf, target);
                case ModelReference.Url url -> pullUrl(http, downloader, url, target);
                case ModelReference.Ollama o -> pullOllama(http, downloader, o, target);
                case ModelReference.Oci oci -> pullOci(http, downloader, oci, target);
                case ModelReference.LocalFile f -> throw new IllegalStateException("handled above");
            };
        }
    }

    /** The Hub's resolve URL: {@code {endpoint}/{org}/{repo}/resolve/{revision}/{file}}. */
    URI resolveUrl(final ModelReference.HuggingFace hf) {
        final StringBuilder path = new StringBuilder();
        for (String segment : hf.file().split("/")) {
            path.append('/').append(encode(segment));
        }
        return URI.create(settings.hfEndpoint() + "/" + hf.org() + "/" + hf.repo() + "/resolve/" + encode(hf.revision()) + path);
    }

    private StoredModel pullHuggingFace(final Http http, final BlobDownloader downloader, final ModelReference.HuggingFace hf,
                                        final ModelName target) {
        final URI uri = resolveUrl(hf);
        final Map<String, String> auth = settings.hfToken() == null ? Map.of() : Map.of("Authorization", "Bearer " + settings.hfToken());
        listener.step("pulling " + hf.org() + "/" + hf.repo() + "/" + hf.file() + (hf.revision().equals("main") ? "" : "@" + hf.revision()));
        Digest expected = null;
        long size = -1;
        // the Hub answers a HEAD itself (a CDN redirect for large files): X-Linked-Etag is the sha256 of LFS files
        try (Http.Response r = http.send(Http.Request.head(uri).withAll(auth), true)) {
            if (r.status() == 401 || r.status() == 403 || r.status() == 404) {
                throw new TransferException(hf.text() + ": " + r.problem() + (settings.hfToken() == null && r.status() != 404
                        ? " (a gated or private repository needs HF_TOKEN)" : ""));
            }
            if (r.ok() || r.status() / 100 == 3) {
                final String etag = unquote(r.header("X-Linked-Etag").orElse(r.header("ETag").orElse("")));
                if (SHA256_HEX.matcher(etag).matches()) {
                    expected = new Digest(etag);
                }
                size = r.headers().firstValueAsLong("X-Linked-Size").orElse(r.ok() ? r.contentLength() : -1);
            } else if (r.status() != 405 && r.status() != 501) {
                throw new TransferException(hf.text() + ": " + r.problem());
            }
        } catch (IOException e) {
            throw new TransferException("cannot reach " + settings.hfEndpoint() + " for " + hf.text() + ": " + e.getMessage(), e);
        }
        final String label = hf.file();
        return single(downloader, new BlobDownloader.Source(uri, auth, expected, size, label), target);
    }

    private StoredModel pullUrl(final Http http, final BlobDownloader downloader, final ModelReference.Url url, final ModelName target) {
        listener.step("pulling " + url.uri());
        long size = -1;
        try (Http.Response r = http.send(Http.Request.head(url.uri()))) {
            if (r.status() == 404 || r.status() == 401 || r.status() == 403) {
                throw new TransferException(url.uri() + ": " + r.problem());
            }
            if (r.ok()) {
                size = r.contentLength();
            }
        } catch (IOException e) {
            throw new TransferException("cannot reach " + url.uri() + ": " + e.getMessage(), e);
        }
        final String path = url.uri().getPath();
        return single(downloader, new BlobDownloader.Source(url.uri(), Map.of(), url.expected(), size,
                path.substring(path.lastIndexOf('/') + 1)), target);
    }

    /** One GGUF file becomes a model: its layer and a config read from it. */
    private StoredModel single(final BlobDownloader downloader, final BlobDownloader.Source source, final ModelName target) {
        final List<BlobDownloader.Verified> fetched = new ArrayList<>();
        try {
            final Digest digest;
            final long size;
            final Path file;
            if (source.expected() != null && store.blobs().contains(source.expected())) {
                listener.step("using existing layer " + source.expected());
                digest = source.expected();
                file = store.blobs().path(digest);
                size = fileSize(file);
            } else {
                final BlobDownloader.Verified v = downloader.download(source);
                fetched.add(v);
                digest = v.digest();
                size = v.size();
                file = v.file();
            }
            final byte[] config = ggufConfig(file, source.uri().toString());
            final Layer model = new Layer(MediaTypes.MODEL, digest, size);
            return finish(target, fetched, config, List.of(model));
        } finally {
            discard(fetched);
        }
    }

    private StoredModel pullOllama(final Http http, final BlobDownloader downloader, final ModelReference.Ollama ref,
                                   final ModelName target) {
        final ModelName n = ref.name();
        final RegistryClient client = new RegistryClient(http, n.host(), n.namespace() + "/" + n.model(), settings, false);
        listener.step("pulling manifest");
        final RegistryClient.FetchedManifest fm = client.manifest(n.tag(), List.of(MediaTypes.MANIFEST));
        final Manifest manifest = Manifest.parse(fm.bytes(), ref.text());
        if (manifest.layer(MediaTypes.MODEL).isEmpty()) {
            throw new TransferException(ref.text() + " has no " + MediaTypes.MODEL + " layer (its layers are "
                    + manifest.layers().stream().map(Layer::mediaType).toList() + ")");
        }
        return pullLayers(downloader, client, manifest, target);
    }

    private StoredModel pullOci(final Http http, final BlobDownloader downloader, final ModelReference.Oci ref, final ModelName target) {
        final RegistryClient client = new RegistryClient(http, ref.registry(), ref.repository(), settings, false);
        listener.step("pulling manifest");
        final RegistryClient.FetchedManifest fm = client.manifest(ref.reference(), List.of(MediaTypes.OCI_MANIFEST,
                MediaTypes.MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST_LIST));
        final OciArtifact.Remote remote = OciArtifact.parse(fm.bytes(), fm.mediaType(), ref.text());
        if (remote.ollamaLayout()) {
            return pullLayers(downloader, client, new Manifest(remote.config(),
                    remote.layers().stream().map(OciArtifact.RemoteLayer::layer).toList()), target);
        }
        final List<Layer> layers = OciArtifact.storeLayers(remote, ref.text());
        final List<BlobDownloader.Verified> fetched = new ArrayList<>();
        try {
            for (Layer l : layers) {
                fetch(downloader, client, l).ifPresent(fetched::add);
            }
            final Layer model = layers.stream().filter(l -> l.mediaType().equals(MediaTypes.MODEL)).findFirst().orElseThrow();
            final Path file = fetched.stream().filter(v -> v.digest().equals(model.digest())).map(BlobDownloader.Verified::file)
                    .findFirst().orElse(store.blobs().path(model.digest()));
            return finish(target, fetched, ggufConfig(file, ref.text()), layers);
        } finally {
            discard(fetched);
        }
    }

    /** A manifest whose config and layers are all fetched and kept as they are. */
    private StoredModel pullLayers(final BlobDownloader downloader, final RegistryClient client, final Manifest manifest,
                                   final ModelName target) {
        final List<BlobDownloader.Verified> fetched = new ArrayList<>();
        try {
            fetch(downloader, client, manifest.config()).ifPresent(fetched::add);
            for (Layer l : manifest.layers()) {
                fetch(downloader, client, l).ifPresent(fetched::add);
            }
            listener.step("writing manifest");
            final StoredModel stored = store.withLock(() -> {
                fetched.forEach(v -> store.blobs().moveIn(v.file(), v.digest()));
                return store.write(target, manifest);
            });
            listener.step("success");
            return stored;
        } finally {
            discard(fetched);
        }
    }

    private java.util.Optional<BlobDownloader.Verified> fetch(final BlobDownloader downloader, final RegistryClient client,
                                                              final Layer l) {
        if (store.blobs().contains(l.digest())) {
            listener.step("using existing layer " + l.digest());
            return java.util.Optional.empty();
        }
        listener.step("pulling " + l.digest().shortHex() + " (" + kind(l.mediaType()) + ", " + l.size() + " bytes)");
        return java.util.Optional.of(downloader.download(new BlobDownloader.Source(client.blobUri(l.digest()),
                client.authHeaders(), l.digest(), l.size(), kind(l.mediaType()) + " " + l.digest().shortHex())));
    }

    /** Moves the downloads in, writes the config and the manifest, under the store lock. */
    private StoredModel finish(final ModelName target, final List<BlobDownloader.Verified> fetched, final byte[] config,
                               final List<Layer> layers) {
        listener.step("writing manifest");
        final StoredModel stored = store.withLock(() -> {
            fetched.forEach(v -> store.blobs().moveIn(v.file(), v.digest()));
            final BlobStore.Blob c = store.blobs().write(config);
            return store.write(target, new Manifest(c.layer(MediaTypes.CONFIG), layers));
        });
        listener.step("success");
        return stored;
    }

    private StoredModel importFile(final ModelReference.LocalFile f, final ModelName target) {
        final Path p = f.path();
        if (!Files.isRegularFile(p)) {
            throw new TransferException(f.text() + ": no file at " + p.toAbsolutePath());
        }
        final byte[] config = ggufConfig(p, f.text());
        listener.step("importing " + p);
        final StoredModel stored = store.withLock(() -> {
            final BlobStore.Imported imported = store.blobs().importFile(p);
            final BlobStore.Blob c = store.blobs().write(config);
            return store.write(target, new Manifest(c.layer(MediaTypes.CONFIG), List.of(imported.blob().layer(MediaTypes.MODEL))));
        });
        listener.step("success");
        return stored;
    }

    /** The config blob Ollama writes for a GGUF; a file that is not a GGUF Strata reads is refused here. */
    private static byte[] ggufConfig(final Path file, final String source) {
        final Map<String, Object> config;
        try (GgufFile g = GgufFile.open(file)) {
            config = GgufConfig.of(g);
        } catch (RuntimeException e) {
            throw new TransferException(source + " is not a GGUF model Strata can read (" + e.getMessage()
                    + "); pull a .gguf file", e);
        }
        try {
            return JSON.writeValueAsBytes(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void discard(final List<BlobDownloader.Verified> fetched) {
        for (BlobDownloader.Verified v : fetched) {
            try {
                Files.deleteIfExists(v.file()); // gone already when it was moved into the store
            } catch (IOException ignored) {
                // a leftover in partial/ is overwritten by the next pull of the same blob
            }
        }
    }

    private static long fileSize(final Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new TransferException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    static String kind(final String mediaType) {
        if (mediaType.contains("config")) {
            return "config";
        }
        final int dot = mediaType.lastIndexOf('.');
        return dot >= 0 ? mediaType.substring(dot + 1) : mediaType;
    }

    private static String unquote(final String etag) {
        String e = etag.startsWith("W/") ? etag.substring(2) : etag;
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    private static String encode(final String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
