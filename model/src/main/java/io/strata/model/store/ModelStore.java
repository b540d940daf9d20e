package io.strata.model.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The local model store, laid out as Ollama's {@code OLLAMA_MODELS}: {@code blobs/sha256-<hex>} and
 * {@code manifests/<host>/<namespace>/<model>/<tag>} (the manifest bytes). It lives in {@code $STRATA_HOME/models};
 * {@code STRATA_HOME} is the system property {@value #HOME_PROPERTY}, else the environment variable
 * {@value #HOME_ENV}, else {@code ~/.strata}. Reading never creates anything; changes (write, copy, remove) hold a
 * lock file so that removing one model never deletes a blob another process is just referencing.
 */
public final class ModelStore {
    public static final String HOME_ENV = "STRATA_HOME";
    public static final String HOME_PROPERTY = "strata.home";

    private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

    private final Path root;
    private final BlobStore blobs;

    /** A store rooted at {@code root} (the folder holding {@code blobs/} and {@code manifests/}). */
    public ModelStore(final Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.blobs = new BlobStore(this.root.resolve("blobs"));
    }

    /** The store of a Strata home folder: {@code home/models}. */
    public static ModelStore inHome(final Path home) {
        return new ModelStore(home.resolve("models"));
    }

    /** The store of the configured {@code STRATA_HOME}. */
    public static ModelStore fromEnvironment() {
        return inHome(home());
    }

    /** The configured Strata home folder. */
    public static Path home() {
        final String property = System.getProperty(HOME_PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        final String env = System.getenv(HOME_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".strata");
    }

    public Path root() { return root; }

    public BlobStore blobs() { return blobs; }

    public Path manifestsRoot() { return root.resolve("manifests"); }

    /** Where downloads in progress live ({@code partial/}): on the store's file system, outside {@code blobs/}. */
    public Path partialDir() { return root.resolve("partial"); }

    /** The model of this name (case-insensitively), or empty. A manifest that cannot be read is an error naming it. */
    public Optional<StoredModel> find(final ModelName name) {
        return manifestFile(name).map(file -> load(file, name));
    }

    /** The model, or a {@link ModelNotInStoreException}. */
    public StoredModel get(final ModelName name) {
        return find(name).orElseThrow(() -> new ModelNotInStoreException(name, root));
    }

    /** Every model whose manifest reads, sorted by name, and a line per manifest that does not. */
    public Listing list() {
        final List<StoredModel> models = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        for (Path file : manifestFiles()) {
            final Path rel = manifestsRoot().relativize(file);
            final ModelName name;
            try {
                name = new ModelName(rel.getName(0).toString(), rel.getName(1).toString(),
                        rel.getName(2).toString(), rel.getName(3).toString());
            } catch (IllegalArgumentException e) {
                problems.add(file + ": not a valid model name (" + e.getMessage() + ")");
                continue;
            }
            try {
                models.add(load(file, name));
            } catch (StoreException e) {
                problems.add(e.getMessage());
            }
        }
        models.sort(Comparator.comparing(m -> m.name().key()));
        return new Listing(List.copyOf(models), List.copyOf(problems));
    }

    /** What {@link #list()} found. */
    public record Listing(List<StoredModel> models, List<String> problems) {}

    /**
     * Writes the manifest of {@code name}, replacing any model of that name (whatever its case) and then deleting
     * the blobs only the replaced manifest used. Every blob it references must already be stored with the size the
     * manifest gives; a caller that stores new blobs for it does so inside {@link #withLock}, so that no concurrent
     * prune sees them unreferenced.
     */
    public StoredModel write(final ModelName name, final Manifest manifest) {
        return locked(() -> {
            checkBlobs(manifest);
            final byte[] bytes = manifest.toBytes();
            final Optional<Path> previous = manifestFile(name);
            previous.filter(old -> !old.equals(name.manifestPath(manifestsRoot()))).ifPresent(this::deleteFile);
            final Path target = name.manifestPath(manifestsRoot());
            try {
                Files.createDirectories(target.getParent());
                final Path tmp = target.resolveSibling(".tmp-" + UUID.randomUUID());
                try {
                    Files.write(tmp, bytes);
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write manifest " + target + ": " + e.getMessage(), e);
            }
            if (previous.isPresent()) {
                prune();
            }
            return load(target, name);
        });
    }

    /** Gives {@code target} the same manifest as {@code source} (no blob is copied). */
    public StoredModel copy(final ModelName source, final ModelName target) {
        return locked(() -> write(target, get(source).manifest()));
    }

    /**
     * Removes a model: its manifest, then every blob no remaining manifest references. When some manifest cannot be
     * read no blob is deleted (it might be one of its layers). Returns the number of blobs deleted.
     */
    public int remove(final ModelName name) {
        return locked(() -> {
            final StoredModel model = get(name);
            deleteFile(model.manifestFile());
            pruneEmptyFolders(model.manifestFile().getParent());
            return prune();
        });
    }

    /** Deletes the blobs no manifest references; none when a manifest cannot be read. */
    public int prune() {
        return locked(() -> {
            final Listing listing = list();
            if (!listing.problems().isEmpty()) {
                return 0;
            }
            final Set<Digest> used = new HashSet<>();
            for (StoredModel m : listing.models()) {
                used.add(m.manifest().config().digest());
                m.manifest().layers().forEach(l -> used.add(l.digest()));
            }
            int deleted = 0;
            for (Digest d : blobs.all()) {
                if (!used.contains(d) && blobs.delete(d)) {
                    deleted++;
                }
            }
            return deleted;
        });
    }

    /** The text of a small layer (template, system prompt, license, params JSON). */
    public String readText(final Layer layer) {
        return new String(blobs.read(layer.digest()), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The GGUF file of a stored model. */
    public Path modelFile(final StoredModel model) {
        final Layer layer = model.manifest().layer(MediaTypes.MODEL).orElseThrow(() -> new StoreException(
                "model " + model.name().displayShortest() + " has no " + MediaTypes.MODEL + " layer"));
        final Path p = blobs.path(layer.digest());
        if (!Files.isRegularFile(p)) {
            throw new StoreException("model " + model.name().displayShortest() + ": blob " + layer.digest()
                    + " is missing from " + blobs.dir());
        }
        return p;
    }

    private StoredModel load(final Path file, final ModelName name) {
        try {
            final byte[] bytes = Files.readAllBytes(file);
            final Manifest manifest = Manifest.parse(bytes, file.toString());
            return new StoredModel(name, manifest, Digest.of(bytes), Files.getLastModifiedTime(file).toInstant(), file);
        } catch (IOException e) {
            throw new StoreException("cannot read manifest " + file + ": " + e.getMessage(), e);
        }
    }

    private void checkBlobs(final Manifest manifest) {
        final List<Layer> all = new ArrayList<>(manifest.layers());
        all.add(manifest.config());
        for (Layer l : all) {
            final Path p = blobs.path(l.digest());
            try {
                if (!Files.isRegularFile(p)) {
                    throw new StoreException("blob " + l.digest() + " (" + l.mediaType() + ") is not in the store");
                }
                if (Files.size(p) != l.size()) {
                    throw new StoreException("blob " + l.digest() + " is " + Files.size(p) + " bytes, the manifest says "
                            + l.size());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The manifest file of this name, matched case-insensitively (exact spelling first). */
    private Optional<Path> manifestFile(final ModelName name) {
        final Path exact = name.manifestPath(manifestsRoot());
        if (Files.isRegularFile(exact)) {
            return Optional.of(exact);
        }
        return manifestFiles().stream().filter(f -> {
            final Path rel = manifestsRoot().relativize(f);
            return String.join("/", rel.getName(0).toString(), rel.getName(1).toString(), rel.getName(2).toString())
                    .concat(":").concat(rel.getName(3).toString()).equalsIgnoreCase(name.toString());
        }).findFirst();
    }

    private List<Path> manifestFiles() {
        final Path dir = manifestsRoot();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.find(dir, 4, (p, a) -> a.isRegularFile() && dir.relativize(p).getNameCount() == 4
                && !p.getFileName().toString().startsWith(".tmp-"))) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private void pruneEmptyFolders(Path dir) {
        while (dir != null && dir.startsWith(manifestsRoot()) && !dir.equals(manifestsRoot())) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    return;
                }
                Files.delete(dir);
            } catch (IOException e) {
                return;
            }
            dir = dir.getParent();
        }
    }

    private void deleteFile(final Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + p + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code action} holding this store's lock: one thread of this JVM and one process at a time. */
    private <T> T locked(final Supplier<T> action) {
        final ReentrantLock lock = LOCKS.computeIfAbsent(root, r -> new ReentrantLock());
        lock.lock();
        try {
            if (lock.getHoldCount() > 1) {
                return action.get(); // the file lock is already held by this thread
            }
            Files.createDirectories(root);
            try (FileChannel ch = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = ch.lock()) {
                return action.get();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock the model store " + root + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code action} under the store lock (for creating a model: blobs, then its manifest). */
    public <T> T withLock(final Supplier<T> action) {
        return locked(action);
    }

    /** No model of that name is in the store. */
    public static final class ModelNotInStoreException extends StoreException {
        public ModelNotInStoreException(final ModelName name, final Path root) {
            super("model '" + name.displayShortest() + "' not found in the store " + root);
        }
    }
}
