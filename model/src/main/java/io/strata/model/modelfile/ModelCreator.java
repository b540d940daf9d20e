package io.strata.model.modelfile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.model.convert.FileType;
import io.strata.model.convert.GgufConverter;
import io.strata.model.gguf.GgufFile;
import io.strata.model.hf.HfModel;
import io.strata.model.store.BlobStore;
import io.strata.model.store.Layer;
import io.strata.model.store.Manifest;
import io.strata.model.store.MediaTypes;
import io.strata.model.store.ModelLocator;
import io.strata.model.store.ModelName;
import io.strata.model.store.ModelStore;
import io.strata.model.store.ResolvedModel;
import io.strata.model.store.StoredModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code strata create}: turns a {@link Modelfile} into a stored model as {@code ollama create} does. FROM a GGUF
 * imports it (a hard link or a copy, never a change to the source) with a config blob read from it; FROM a Hugging
 * Face safetensors directory converts it to a GGUF first; FROM a stored model starts from its layers; FROM a pull
 * reference ({@code hf://}, {@code oci://}, ...) pulls it into the store first (unless it is there), through the
 * {@link Puller} it was given, then starts from it. TEMPLATE, SYSTEM and MESSAGE replace the base's layer of their
 * type, PARAMETERs are merged over the base's, LICENSEs are added.
 */
public final class ModelCreator {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What a FROM pull reference becomes: the model stored under the name a pull gives it, pulled first when it is
     * not there (the transports live in {@code io.strata.model.remote}, which depends on this package), or the file
     * of a {@code file://} reference.
     */
    @FunctionalInterface
    public interface Puller {
        ResolvedModel resolve(String reference);
    }

    private static final Puller NO_PULLS = ref -> {
        throw new IllegalStateException("this creator cannot pull " + ref);
    };

    private final ModelStore store;
    private final ModelLocator locator;
    private final Puller puller;
    private final Consumer<String> progress;

    /**
     * A creator that cannot pull (a FROM pull reference is an error).
     *
     * @param locator  resolves a FROM name (usually over the same store)
     * @param progress receives one status line per step ("using existing layer ...")
     */
    public ModelCreator(final ModelStore store, final ModelLocator locator, final Consumer<String> progress) {
        this(store, locator, NO_PULLS, progress);
    }

    /** @param puller resolves a FROM pull reference, pulling it into {@code store} */
    public ModelCreator(final ModelStore store, final ModelLocator locator, final Puller puller,
                        final Consumer<String> progress) {
        this.store = store;
        this.locator = locator;
        this.puller = puller;
        this.progress = progress;
    }

    public StoredModel create(final ModelName name, final Modelfile modelfile) {
        // a pull runs before the store's lock is taken: a download may be long, and it takes the lock itself to store
        final ResolvedModel pulled = modelfile.from() instanceof Modelfile.From.Pull p ? pull(p) : null;
        return store.withLock(() -> {
            final Manifest base = modelfile.from() instanceof Modelfile.From.Pull p
                    ? fromResolved(pulled, p.line(), p.reference()) : base(modelfile.from());
            Manifest m = base;
            if (modelfile.template().isPresent()) {
                m = m.replacing(MediaTypes.TEMPLATE, text(modelfile.template().get().value(), MediaTypes.TEMPLATE));
            }
            if (modelfile.system().isPresent()) {
                m = m.replacing(MediaTypes.SYSTEM, text(modelfile.system().get().value(), MediaTypes.SYSTEM));
            }
            if (!modelfile.parameters().isEmpty()) {
                final ModelParameters merged = baseParameters(base).with(modelfile.parameters());
                m = m.replacing(MediaTypes.PARAMS, text(merged.toJson(), MediaTypes.PARAMS));
            }
            if (!modelfile.messages().isEmpty()) {
                final List<Map<String, String>> list = new ArrayList<>();
                modelfile.messages().forEach(msg -> {
                    final Map<String, String> o = new LinkedHashMap<>();
                    o.put("role", msg.role());
                    o.put("content", msg.content());
                    list.add(o);
                });
                m = m.replacing(MediaTypes.MESSAGES, text(json(list), MediaTypes.MESSAGES));
            }
            for (Modelfile.Text license : modelfile.licenses()) {
                final Layer l = text(license.value(), MediaTypes.LICENSE);
                if (!m.layers().contains(l)) {
                    final List<Layer> layers = new ArrayList<>(m.layers());
                    layers.add(l);
                    m = new Manifest(m.config(), layers);
                }
            }
            progress.accept("writing manifest");
            final StoredModel stored = store.write(name, m);
            progress.accept("success");
            return stored;
        });
    }

    private Manifest base(final Modelfile.From from) {
        return switch (from) {
            case Modelfile.From.File f -> importGguf(f.path(), f.line());
            case Modelfile.From.Directory d -> importDirectory(d.path(), d.line());
            case Modelfile.From.Reference r -> {
                final ResolvedModel resolved;
                try {
                    resolved = locator.resolve(r.name());
                } catch (ModelLocator.ModelNotFoundException e) {
                    throw new ModelfileException(r.line(), "FROM " + e.getMessage());
                }
                yield fromResolved(resolved, r.line(), r.name());
            }
            case Modelfile.From.Pull p -> throw new IllegalStateException("pulled before the lock: " + p.reference());
        };
    }

    private Manifest fromResolved(final ResolvedModel resolved, final int line, final String what) {
        return switch (resolved) {
            case ResolvedModel.Stored s -> {
                progress.accept("using model " + s.model().name().displayShortest());
                yield s.model().manifest();
            }
            case ResolvedModel.File f -> Files.isDirectory(f.gguf()) ? importDirectory(f.gguf(), line)
                    : importGguf(f.gguf(), line);
            case ResolvedModel.Packaged p -> throw new ModelfileException(line, "FROM " + what
                    + " is the model packaged in " + p.model().jar() + "; create from a GGUF or a stored model");
        };
    }

    /** The FROM reference pulled (or found in the store); any failure names the Modelfile's line. */
    private ResolvedModel pull(final Modelfile.From.Pull p) {
        progress.accept("pulling " + p.reference());
        try {
            return puller.resolve(p.reference());
        } catch (ModelfileException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModelfileException(p.line(), "FROM " + p.reference() + ": " + e.getMessage());
        }
    }

    private Manifest importGguf(final Path path, final int line) {
        final Map<String, Object> config;
        if (Files.isDirectory(path)) {
            throw new ModelfileException(line, directoryProblem(path));
        }
        try (GgufFile f = GgufFile.open(path)) {
            config = GgufConfig.of(f);
        } catch (RuntimeException e) {
            throw new ModelfileException(line, "FROM " + path + " is not a GGUF model Strata can read: " + e.getMessage());
        }
        progress.accept("importing " + path);
        final BlobStore.Imported imported = store.blobs().importFile(path);
        progress.accept(switch (imported.mode()) {
            case ALREADY_PRESENT -> "using existing layer " + imported.blob().digest();
            case HARD_LINK -> "creating new layer " + imported.blob().digest() + " (hard link)";
            case COPY -> "creating new layer " + imported.blob().digest() + " (copy)";
        });
        final Layer configLayer = store.blobs().write(json(config).getBytes(StandardCharsets.UTF_8)).layer(MediaTypes.CONFIG);
        return new Manifest(configLayer, List.of(imported.blob().layer(MediaTypes.MODEL)));
    }

    private static String directoryProblem(final Path dir) {
        return "FROM " + dir + " is a directory without a model (FROM takes a GGUF file, a Hugging Face safetensors"
                + " directory or a model name)";
    }

    /**
     * A Hugging Face directory: converted to GGUF as {@code ollama create} does (F16, or BF16 when the checkpoint is
     * BF16, so nothing is rounded twice), written next to the blobs so the import is a hard link, then imported.
     */
    private Manifest importDirectory(final Path dir, final int line) {
        if (!HfModel.isModelDirectory(dir)) {
            throw new ModelfileException(line, directoryProblem(dir));
        }
        final Path tmp;
        try {
            Files.createDirectories(store.blobs().dir());
            tmp = Files.createTempFile(store.blobs().dir(), ".convert-", ".gguf");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write in " + store.blobs().dir() + ": " + e.getMessage(), e);
        }
        try {
            try (HfModel m = HfModel.open(dir)) {
                final FileType type = GgufConverter.losslessType(m);
                progress.accept("converting " + dir + " to GGUF (" + type + ")");
                GgufConverter.convert(m, type, tmp, false, progress);
            } catch (RuntimeException e) {
                throw new ModelfileException(line, "FROM " + dir + " cannot be converted: " + e.getMessage());
            }
            return importGguf(tmp, line);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot convert " + dir + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a leftover temporary file holds no blob name, so the store never lists it
            }
        }
    }

    private ModelParameters baseParameters(final Manifest base) {
        final Optional<Layer> l = base.layer(MediaTypes.PARAMS);
        return l.isEmpty() ? ModelParameters.NONE : ModelParameters.fromJson(store.readText(l.get()), "params " + l.get().digest());
    }

    private Layer text(final String value, final String mediaType) {
        final BlobStore.Blob b = store.blobs().write(value.getBytes(StandardCharsets.UTF_8));
        progress.accept("creating layer " + b.digest() + " (" + mediaType.substring(mediaType.lastIndexOf('.') + 1) + ")");
        return b.layer(mediaType);
    }

    private static String json(final Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
