package io.strata.model.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Content-addressed blobs: {@code blobs/sha256-<hex>}. Every write goes to a temporary file in the same folder,
 * hashed while it is written, and is moved atomically into place only when complete (and, when a digest was
 * expected, only when it matches), so a reader never sees a partial or wrong blob.
 */
public final class BlobStore {
    private static final String TEMP_PREFIX = ".tmp-";

    private final Path dir;

    public BlobStore(final Path dir) {
        this.dir = dir;
    }

    /** A stored blob: its digest and size. */
    public record Blob(Digest digest, long size) {
        public Layer layer(final String mediaType) {
            return new Layer(mediaType, digest, size);
        }
    }

    /** How {@link #importFile} put the file into the store. */
    public enum ImportMode { HARD_LINK, COPY, ALREADY_PRESENT }

    /** The result of {@link #importFile}. */
    public record Imported(Blob blob, ImportMode mode) {}

    public Path dir() { return dir; }

    public Path path(final Digest digest) {
        return dir.resolve(digest.fileName());
    }

    public boolean contains(final Digest digest) {
        return Files.isRegularFile(path(digest));
    }

    public Blob write(final byte[] bytes) {
        return write(new java.io.ByteArrayInputStream(bytes), null);
    }

    /**
     * Stores the stream's bytes. When {@code expected} is not null and the bytes hash to something else, nothing is
     * stored and a {@link DigestMismatchException} names both digests.
     */
    public Blob write(final InputStream in, final Digest expected) {
        final Path tmp = newTemp();
        try {
            final MessageDigest md = Digest.sha256();
            final long size;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), md)) {
                size = in.transferTo(out);
            }
            final Digest actual = new Digest(HexFormat.of().formatHex(md.digest()));
            if (expected != null && !expected.equals(actual)) {
                throw new DigestMismatchException(expected, actual);
            }
            place(tmp, actual);
            return new Blob(actual, size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a blob in " + dir + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /**
     * Puts a file into the store without changing it: a hard link when the store is on the same file system and
     * the link is allowed, else a copy. Either way the stored bytes are hashed on the way in. A symbolic link is
     * followed first, so the blob is the file itself. (A linked blob shares the source's bytes: a tool that later
     * rewrites the source in place changes the blob too; tools that write a new file and rename it do not.)
     */
    public Imported importFile(final Path link) {
        if (!Files.isRegularFile(link)) {
            throw new StoreException("cannot import " + link + ": not a regular file");
        }
        final Path tmp = newTemp();
        try {
            final Path source = link.toRealPath();
            ImportMode mode = ImportMode.HARD_LINK;
            try {
                Files.createLink(tmp, source);
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                // another file system, or links refused (fs.protected_hardlinks on a file we do not own): copy
                mode = ImportMode.COPY;
            }
            final Blob blob;
            if (mode == ImportMode.HARD_LINK) {
                blob = hashFile(tmp);
            } else {
                try (InputStream in = Files.newInputStream(source)) {
                    final MessageDigest md = Digest.sha256();
                    final long size;
                    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), md)) {
                        size = in.transferTo(out);
                    }
                    blob = new Blob(new Digest(HexFormat.of().formatHex(md.digest())), size);
                }
            }
            final boolean present = contains(blob.digest());
            place(tmp, blob.digest());
            return new Imported(blob, present ? ImportMode.ALREADY_PRESENT : mode);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot import " + link + " into " + dir + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /**
     * Moves a file whose sha256 the caller has just computed (a finished download) into the store with an atomic
     * rename; the file must be on the store's file system (the store's {@code partial} folder is). When the blob is
     * already stored the file is deleted instead.
     */
    public Blob moveIn(final Path file, final Digest digest) {
        try {
            final long size = Files.size(file);
            Files.createDirectories(dir);
            place(file, digest);
            return new Blob(digest, size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + file + " into " + dir + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(file);
        }
    }

    /** Reads a blob whole (small layers: template, system, params, messages, license). */
    public byte[] read(final Digest digest) {
        try {
            return Files.readAllBytes(path(digest));
        } catch (IOException e) {
            throw new StoreException("blob " + digest + " is missing or unreadable in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Every complete blob in the store. */
    public Set<Digest> all() {
        final Set<Digest> out = new TreeSet<>(java.util.Comparator.comparing(Digest::hex));
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> Digest.fromFileName(p.getFileName().toString())).filter(d -> d != null).forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Deletes a blob; true when it was there. */
    public boolean delete(final Digest digest) {
        try {
            return Files.deleteIfExists(path(digest));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete blob " + digest + ": " + e.getMessage(), e);
        }
    }

    private static Blob hashFile(final Path file) throws IOException {
        final MessageDigest md = Digest.sha256();
        final long size;
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            size = in.transferTo(OutputStream.nullOutputStream());
        }
        return new Blob(new Digest(HexFormat.of().formatHex(md.digest())), size);
    }

    private Path newTemp() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        return dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    }

    private void place(final Path tmp, final Digest digest) throws IOException {
        final Path target = path(digest);
        if (Files.isRegularFile(target)) {
            return; // same content already stored
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + dir + " cannot rename atomically", e);
        } catch (FileAlreadyExistsException e) {
            // stored concurrently by someone else: same content
        }
    }

    private static void deleteQuietly(final Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temporary file is harmless: its name never parses as a digest
        }
    }

    /** The bytes received do not hash to the digest they were announced with; nothing was stored. */
    public static final class DigestMismatchException extends StoreException {
        public DigestMismatchException(final Digest expected, final Digest actual) {
            super("digest mismatch: expected " + expected + ", got " + actual + "; the blob was not stored");
        }
    }
}
