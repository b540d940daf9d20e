package io.strata.cli.pack;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDateTime;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Writes one runnable jar from class path entries (jars and class folders) as the class path would see them: the
 * first entry of a name wins, {@code META-INF/services} files are concatenated, signatures, indexes and
 * {@code module-info} are dropped (the merged jar is unsigned and runs on the class path), and versioned entries
 * are kept only from multi-release jars. Then large files are added uncompressed at an aligned offset
 * ({@link #putAligned}) so they can be mapped in place. Entry times are fixed, so the same inputs give the same bytes.
 */
final class JarAssembler implements AutoCloseable {
    /** The time every entry carries (within the DOS range, so no extended-timestamp field is added). */
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(2025, 1, 1, 0, 0);
    /** Header id of the padding field, as Android's zipalign uses for the same purpose. */
    private static final int ALIGNMENT_EXTRA_ID = 0xD935;
    private static final int LOCAL_HEADER_BYTES = 30;
    private static final String SERVICES = "META-INF/services/";
    private static final String VERSIONS = "META-INF/versions/";
    private static final int COPY_BUFFER = 1 << 20;

    private final Counting counter;
    private final JarOutputStream jar;
    private final Set<String> written = new HashSet<>();
    private final Map<String, ByteArrayOutputStream> services = new LinkedHashMap<>();
    private final Set<String> reserved;
    private boolean servicesWritten;

    /**
     * @param reserved name prefixes no input may supply (the package's own entries, when the inputs include a
     *                 packaged jar)
     */
    JarAssembler(final Path output, final Manifest manifest, final Set<String> reserved) throws IOException {
        this.counter = new Counting(new BufferedOutputStream(Files.newOutputStream(output), 1 << 16));
        this.jar = new JarOutputStream(counter);
        this.jar.setLevel(Deflater.BEST_SPEED); // the runtime's classes: fast to write, still about 2x smaller
        this.reserved = Set.copyOf(reserved);
        final ZipEntry m = entry(JarFile.MANIFEST_NAME);
        jar.putNextEntry(m);
        manifest.write(jar);
        jar.closeEntry();
        written.add(JarFile.MANIFEST_NAME);
    }

    /** Whether any of these class path entries is a multi-release jar (the merged manifest must then say so). */
    static boolean anyMultiRelease(final List<Path> classPath) throws IOException {
        for (Path p : classPath) {
            if (Files.isRegularFile(p)) {
                try (JarFile j = new JarFile(p.toFile())) {
                    if (isMultiRelease(j)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean isMultiRelease(final JarFile j) throws IOException {
        final Manifest m = j.getManifest();
        return m != null && "true".equalsIgnoreCase(m.getMainAttributes().getValue(Attributes.Name.MULTI_RELEASE));
    }

    /** Adds every entry of a jar or class folder that the class path would see and no earlier input supplied. */
    void addClassPathEntry(final Path entry) throws IOException {
        if (Files.isDirectory(entry)) {
            try (Stream<Path> files = Files.walk(entry)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    final String name = entry.relativize(f).toString().replace('\\', '/');
                    try (InputStream in = Files.newInputStream(f)) {
                        add(name, in, false);
                    }
                }
            }
        } else if (Files.isRegularFile(entry)) {
            try (JarFile j = new JarFile(entry.toFile(), false, ZipFile.OPEN_READ, JarFile.baseVersion())) {
                final boolean multiRelease = isMultiRelease(j);
                final Enumeration<? extends ZipEntry> all = j.entries();
                while (all.hasMoreElements()) {
                    final ZipEntry e = all.nextElement();
                    if (!e.isDirectory()) {
                        try (InputStream in = j.getInputStream(e)) {
                            add(e.getName(), in, multiRelease);
                        }
                    }
                }
            }
        }
        // an entry that does not exist adds nothing, as on a class path
    }

    private void add(final String name, final InputStream in, final boolean multiRelease) throws IOException {
        if (dropped(name, multiRelease)) {
            return;
        }
        if (name.startsWith(SERVICES) && name.indexOf('/', SERVICES.length()) < 0) {
            final ByteArrayOutputStream merged = services.computeIfAbsent(name, n -> new ByteArrayOutputStream());
            in.transferTo(merged);
            merged.write('\n');
            return;
        }
        if (!written.add(name)) {
            return; // an earlier class path entry supplied it
        }
        jar.putNextEntry(entry(name));
        in.transferTo(jar);
        jar.closeEntry();
    }

    private boolean dropped(final String name, final boolean multiRelease) {
        final String upper = name.toUpperCase(Locale.ROOT);
        if (upper.equals(JarFile.MANIFEST_NAME) || upper.equals("META-INF/INDEX.LIST")) {
            return true;
        }
        if (upper.startsWith("META-INF/") && upper.indexOf('/', 9) < 0 && (upper.endsWith(".SF")
                || upper.endsWith(".DSA") || upper.endsWith(".RSA") || upper.endsWith(".EC"))) {
            return true; // a signature of one input jar is void in the merged one
        }
        if (name.equals("module-info.class") || (name.startsWith(VERSIONS) && name.endsWith("/module-info.class"))) {
            return true;
        }
        if (name.startsWith(VERSIONS) && !multiRelease) {
            return true; // only a multi-release jar's versioned entries are seen
        }
        return reserved.stream().anyMatch(name::startsWith);
    }

    /** Adds a small file, compressed. */
    void putBytes(final String name, final byte[] bytes) throws IOException {
        flushServices();
        if (!written.add(name)) {
            throw new IllegalStateException("duplicate entry " + name);
        }
        jar.putNextEntry(entry(name));
        jar.write(bytes);
        jar.closeEntry();
    }

    /** Where a file added by {@link #putAligned} lies in the jar. */
    record Placement(long localHeaderOffset, long dataOffset, long length, String sha256) {}

    /**
     * Adds {@code length} bytes of {@code source} at {@code offset} as an uncompressed entry whose data starts at a
     * multiple of {@code alignment} in the jar (padding goes into an extra field of its local header). The source is
     * read twice in 1 MiB pieces, once for the CRC-32 and SHA-256 the header needs before the data, once to copy.
     */
    Placement putAligned(final String name, final Path source, final long offset, final long length,
                         final int alignment) throws IOException {
        flushServices();
        if (!written.add(name)) {
            throw new IllegalStateException("duplicate entry " + name);
        }
        final CRC32 crc = new CRC32();
        final MessageDigest sha = sha256();
        try (FileChannel ch = FileChannel.open(source, StandardOpenOption.READ)) {
            final ByteBuffer buf = ByteBuffer.allocateDirect(COPY_BUFFER);
            for (long pos = offset, end = offset + length; pos < end; ) {
                buf.clear().limit((int) Math.min(COPY_BUFFER, end - pos));
                final int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new IOException(source + " ended at byte " + pos + ", before " + end);
                }
                pos += n;
                buf.flip();
                crc.update(buf.duplicate());
                sha.update(buf);
            }
        }
        final ZipEntry e = entry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(length);
        e.setCompressedSize(length);
        e.setCrc(crc.getValue());
        final int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        final int zip64 = length >= 0xFFFFFFFFL ? 20 : 0; // the writer adds a ZIP64 size field to the local header
        final long header = counter.count();
        final long unpadded = header + LOCAL_HEADER_BYTES + nameBytes + zip64 + 4;
        final int pad = (int) ((alignment - unpadded % alignment) % alignment);
        final ByteBuffer extra = ByteBuffer.allocate(4 + pad).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        extra.putShort((short) ALIGNMENT_EXTRA_ID).putShort((short) pad);
        e.setExtra(extra.array());
        jar.putNextEntry(e);
        final long data = counter.count();
        if (data % alignment != 0) {
            throw new IllegalStateException("the entry " + name + " starts at byte " + data + ", not on a multiple of "
                    + alignment + ": the ZIP writer added a field this packager does not expect");
        }
        try (InputStream in = Region.stream(source, offset, length)) {
            final byte[] chunk = new byte[COPY_BUFFER];
            for (int n; (n = in.read(chunk)) > 0; ) {
                jar.write(chunk, 0, n);
            }
        }
        jar.closeEntry();
        return new Placement(header, data, length, HexFormat.of().formatHex(sha.digest()));
    }

    private void flushServices() throws IOException {
        if (servicesWritten) {
            return;
        }
        servicesWritten = true;
        for (Map.Entry<String, ByteArrayOutputStream> s : services.entrySet()) {
            written.add(s.getKey());
            jar.putNextEntry(entry(s.getKey()));
            s.getValue().writeTo(jar);
            jar.closeEntry();
        }
    }

    @Override
    public void close() throws IOException {
        flushServices();
        jar.close();
    }

    private static ZipEntry entry(final String name) {
        final ZipEntry e = new ZipEntry(name);
        e.setTimeLocal(ENTRY_TIME);
        return e;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts the bytes written through it: the jar's current length, i.e. where the next entry's header starts. */
    private static final class Counting extends FilterOutputStream {
        private long count;

        Counting(final OutputStream out) {
            super(out);
        }

        @Override
        public void write(final int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(final byte[] b, final int off, final int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        long count() { return count; }
    }

    /** A region of a file as a stream. */
    private static final class Region {
        static InputStream stream(final Path file, final long offset, final long length) throws IOException {
            final FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
            ch.position(offset);
            final InputStream all = java.nio.channels.Channels.newInputStream(ch);
            return new InputStream() {
                private long left = length;

                @Override
                public int read() throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    final int b = all.read();
                    if (b >= 0) {
                        left--;
                    }
                    return b;
                }

                @Override
                public int read(final byte[] b, final int off, final int len) throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    final int n = all.read(b, off, (int) Math.min(len, left));
                    if (n > 0) {
                        left -= n;
                    }
                    return n;
                }

                @Override
                public void close() throws IOException {
                    all.close();
                }
            };
        }
    }
}
