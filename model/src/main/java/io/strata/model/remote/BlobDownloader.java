package io.strata.model.remote;

import io.strata.model.store.Digest;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches one blob into {@code <dir>/<key>.partial}, where {@code key} is the expected digest (or a hash of the URL
 * when none is known), and hands back the file with its sha256 once the bytes are complete and, when a digest was
 * expected, match it. A file whose bytes do not match is deleted and the download refused; nothing enters the store.
 *
 * <p>How: a blob of at least {@link DownloadOptions#parallelThresholdBytes()} is split into
 * {@link DownloadOptions#parallelParts()} byte ranges, fetched at once when the first range request answers 206 (a
 * 200 means the server ignores ranges: the one stream is used instead). A dropped or stalled connection is resumed
 * from the byte it stopped at ({@code Range}, with {@code If-Range} so a changed file is fetched afresh), up to
 * {@link DownloadOptions#maxAttempts()} times in a row without progress; the progress of every range is saved beside
 * the partial file ({@link DownloadPlan}) so that a later pull resumes too. A lock file keeps two processes from
 * writing one partial file. Each range writes through its own {@link RandomAccessFile}: a stalled reader is
 * interrupted, and an interrupt would close a shared {@code FileChannel} under every range.
 */
final class BlobDownloader {
    private static final int BUFFER = 128 << 10;
    private static final long TICK_MS = 200;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final Http http;
    private final Path dir;
    private final DownloadOptions options;
    private final TransferListener listener;

    /** What to fetch: the URL and its headers, the digest and size it must have (null and -1 when unknown). */
    record Source(URI uri, Map<String, String> headers, Digest expected, long size, String label) {
        Source {
            headers = Map.copyOf(headers);
        }

        String identity() {
            return expected != null ? expected.toString() : uri.toString();
        }

        String key() {
            return expected != null ? expected.fileName()
                    : "url-" + HexFormat.of().formatHex(sha256().digest(uri.toString().getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** A complete download: the file (still in the partial folder), its digest and size. */
    record Verified(Path file, Digest digest, long size) {}

    BlobDownloader(final Http http, final Path dir, final DownloadOptions options, final TransferListener listener) {
        this.http = http;
        this.dir = dir;
        this.options = options;
        this.listener = listener;
    }

    Path partialFile(final Source source) {
        return dir.resolve(source.key() + ".partial");
    }

    Path planFile(final Source source) {
        return dir.resolve(source.key() + ".plan");
    }

    Verified download(final Source src) {
        final Path data = partialFile(src);
        final Path planFile = planFile(src);
        final Path lockFile = dir.resolve(src.key() + ".lock");
        try {
            Files.createDirectories(dir);
            try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock;
                try {
                    lock = lockChannel.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null;
                }
                if (lock == null) {
                    throw new TransferException("another pull is downloading " + src.label() + " right now ("
                            + lockFile + " is locked); wait for it and pull again");
                }
                try {
                    final DownloadPlan plan = planFor(src, data, planFile);
                    new Run(src, plan, data, planFile).execute();
                    return verify(src, plan, data, planFile);
                } finally {
                    lock.release();
                }
            } finally {
                Files.deleteIfExists(lockFile);
            }
        } catch (IOException e) {
            throw new TransferException("cannot download " + src.label() + " into " + dir + ": " + e.getMessage(), e);
        }
    }

    private DownloadPlan planFor(final Source src, final Path data, final Path planFile) throws IOException {
        final DownloadPlan saved = DownloadPlan.load(planFile).orElse(null);
        if (saved != null && Files.isRegularFile(data) && saved.source.equals(src.identity())
                && (src.size() < 0 || saved.size == src.size())) {
            if (saved.done() > 0) {
                listener.step("resuming " + src.label() + " at byte " + saved.done());
            }
            return saved;
        }
        Files.deleteIfExists(data);
        Files.createFile(data);
        final DownloadPlan plan = DownloadPlan.fresh(src.identity(), src.size(),
                src.size() >= options.parallelThresholdBytes() ? options.parallelParts() : 1);
        plan.save(planFile);
        return plan;
    }

    private Verified verify(final Source src, final DownloadPlan plan, final Path data, final Path planFile) throws IOException {
        final long size = Files.size(data);
        if (plan.size >= 0 && size != plan.size) {
            discard(data, planFile);
            throw new TransferException(src.label() + " from " + src.uri() + ": got " + size + " bytes, expected "
                    + plan.size + "; the download was discarded and nothing was stored");
        }
        listener.step("verifying sha256 digest");
        final MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(data)) {
            final byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        final Digest actual = new Digest(HexFormat.of().formatHex(md.digest()));
        if (src.expected() != null && !src.expected().equals(actual)) {
            discard(data, planFile);
            throw new DigestMismatchException("digest mismatch for " + src.label() + " from " + src.uri() + ": expected "
                    + src.expected() + ", the " + size + " bytes received hash to " + actual
                    + "; the download was discarded and nothing was stored");
        }
        Files.deleteIfExists(planFile);
        return new Verified(data, actual, size);
    }

    private static void discard(final Path data, final Path planFile) throws IOException {
        Files.deleteIfExists(data);
        Files.deleteIfExists(planFile);
    }

    /** The bytes received do not hash to the digest they were announced with. */
    static final class DigestMismatchException extends TransferException {
        DigestMismatchException(final String message) {
            super(message);
        }
    }

    /** One download in progress: the readers, the watchdog that drops stalled connections, saves the plan and reports. */
    private final class Run {
        private final Source src;
        private final DownloadPlan plan;
        private final Path data;
        private final Path planFile;
        private long lastSaveNanos = System.nanoTime();

        Run(final Source src, final DownloadPlan plan, final Path data, final Path planFile) {
            this.src = src;
            this.plan = plan;
            this.data = data;
            this.planFile = planFile;
        }

        void execute() throws IOException {
            if (plan.complete()) {
                return;
            }
            final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
                final Thread t = new Thread(r, "strata-pull-watchdog");
                t.setDaemon(true);
                return t;
            });
            watchdog.scheduleAtFixedRate(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
            try {
                fetch();
            } finally {
                watchdog.shutdownNow();
                try {
                    watchdog.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                plan.save(planFile);
                listener.bytes(src.label(), plan.done(), plan.size);
            }
        }

        private void fetch() throws IOException {
            final List<DownloadPlan.Part> open = plan.parts.stream().filter(p -> !p.complete()).toList();
            final DownloadPlan.Part first = open.getFirst();
            // the first open range runs here until its answer is known: a 206 lets the others start beside it
            final Http.Response probe = openWithRetries(first);
            if (probe.status() == 200 && plan.parts.size() > 1) {
                final long length = probe.contentLength();
                try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
                    f.setLength(0);
                }
                plan.collapse(length >= 0 ? length : plan.size);
                readWithRetries(plan.parts.getFirst(), probe);
                return;
            }
            if (open.size() == 1) {
                readWithRetries(first, probe);
                return;
            }
            final ExecutorService pool = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("strata-pull-", 0).factory());
            final List<Future<?>> futures = new ArrayList<>();
            try {
                futures.add(pool.submit(() -> {
                    readWithRetries(first, probe);
                    return null;
                }));
                for (DownloadPlan.Part p : open.subList(1, open.size())) {
                    futures.add(pool.submit(() -> {
                        readWithRetries(p, null);
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } catch (ExecutionException e) {
                futures.forEach(f -> f.cancel(true));
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new TransferException(e.getCause().toString(), e.getCause());
            } catch (InterruptedException e) {
                futures.forEach(f -> f.cancel(true));
                Thread.currentThread().interrupt();
                throw new TransferException("interrupted while downloading " + src.label() + "; the next pull resumes it");
            } finally {
                pool.shutdownNow();
            }
        }

        /** A response for this range (206, or 200 for a whole-file read), retrying what may pass. */
        private Http.Response openWithRetries(final DownloadPlan.Part p) throws IOException {
            int failures = 0;
            while (true) {
                try {
                    return open(p, true);
                } catch (IOException e) {
                    failures = failed(p, e, failures);
                }
            }
        }

        /** Reads the range to its end; a dropped connection is resumed from where it stopped. */
        private void readWithRetries(final DownloadPlan.Part p, final Http.Response initial) throws IOException {
            Http.Response r = initial;
            int failures = 0;
            try (RandomAccessFile out = new RandomAccessFile(data.toFile(), "rw")) {
                while (!p.complete()) {
                    final long before = p.done;
                    try {
                        if (r == null) {
                            r = open(p, false);
                        }
                        copy(r, p, out);
                        if (p.end < 0) { // a body of unknown length ends where the stream ends
                            plan.size = p.done;
                            if (p.done == 0) {
                                plan.parts = List.of(); // an empty file
                                return;
                            }
                            p.end = p.start + p.done - 1;
                        } else if (!p.complete()) {
                            throw new EOFException("the connection closed at byte " + p.next() + " of " + (p.end + 1));
                        }
                    } catch (IOException e) {
                        failures = failed(p, e, p.done > before ? 0 : failures);
                    } finally {
                        if (r != null) {
                            r.close();
                        }
                        r = null;
                    }
                }
            }
        }

        /** Counts a failure; gives up after maxAttempts in a row, else waits and returns the new count. */
        private int failed(final DownloadPlan.Part p, final IOException e, final int previous) {
            final boolean stall = clearStall(p);
            if (!stall && (e instanceof InterruptedIOException || Thread.currentThread().isInterrupted())) {
                throw new TransferException("interrupted while downloading " + src.label() + "; the next pull resumes it");
            }
            final int failures = previous + 1;
            final String why = stall ? "no data for " + options.stallTimeout().toSeconds() + " s" : e.getMessage();
            if (e instanceof FatalHttpException || failures >= options.maxAttempts()) {
                throw new TransferException("downloading " + src.label() + " from " + src.uri() + " failed"
                        + (failures > 1 ? " " + failures + " times in a row" : "") + ": " + why
                        + (plan.done() > 0 ? "; " + plan.done() + " bytes are kept and the next pull resumes" : ""), e);
            }
            listener.step("retrying " + src.label() + " from byte " + p.next() + " (" + why + ")");
            try {
                Thread.sleep(options.retryDelay().multipliedBy(failures));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new TransferException("interrupted while downloading " + src.label() + "; the next pull resumes it");
            }
            return failures;
        }

        /** Sends the request for what is left of the range; {@code probe}: the first, which may get a whole-file 200. */
        private Http.Response open(final DownloadPlan.Part p, final boolean probe) throws IOException {
            Http.Request req = Http.Request.get(src.uri()).withAll(src.headers());
            final boolean ranged = p.next() > 0 || plan.parts.size() > 1;
            if (ranged) {
                req = req.with("Range", "bytes=" + p.next() + "-" + (p.end >= 0 ? Long.toString(p.end) : ""));
                if (plan.validator != null) {
                    req = req.with("If-Range", plan.validator);
                }
            }
            watch(p);
            final Http.Response r;
            try {
                r = http.send(req);
            } finally {
                unwatch(p);
            }
            try {
                accept(r, p, probe);
            } catch (IOException | RuntimeException e) {
                r.close();
                throw e;
            }
            return r;
        }

        /** Checks the answer against the range asked for; a 200 to a resumed single range starts the file over. */
        private void accept(final Http.Response r, final DownloadPlan.Part p, final boolean probe) throws IOException {
            final int s = r.status();
            if (s == 408 || s == 429 || s >= 500) {
                throw new IOException(r.problem());
            }
            if (s != 200 && s != 206) {
                throw new FatalHttpException(r.problem());
            }
            if (s == 206) {
                final Matcher m = CONTENT_RANGE.matcher(r.header("Content-Range").orElse(""));
                if (!m.matches() || Long.parseLong(m.group(1)) != p.next()) {
                    throw new FatalHttpException("asked for bytes from " + p.next() + ", got Content-Range "
                            + r.header("Content-Range").orElse("(none)"));
                }
                if (!m.group(3).equals("*")) {
                    final long total = Long.parseLong(m.group(3));
                    if (plan.size >= 0 && total != plan.size) {
                        throw new FatalHttpException("the server's file is " + total + " bytes, expected " + plan.size);
                    }
                    if (plan.size < 0) {
                        plan.size = total;
                        p.end = total - 1;
                    }
                }
            } else {
                if (plan.parts.size() > 1 && !probe) {
                    throw new IOException("the server stopped honouring byte ranges");
                }
                final long length = r.contentLength();
                if (plan.size >= 0 && length >= 0 && length != plan.size) {
                    throw new FatalHttpException("the server sends " + length + " bytes, expected " + plan.size);
                }
                if (plan.parts.size() == 1 && p.done > 0) { // the range was ignored, or If-Range said the file changed
                    listener.step("the server sent " + src.label() + " from the start; downloading it again");
                    try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
                        f.setLength(0);
                    }
                    p.done = 0;
                }
                if (plan.size < 0 && length >= 0) {
                    plan.size = length;
                    p.end = length - 1;
                }
            }
            if (plan.validator == null) {
                plan.validator = validator(r);
            }
        }

        private void copy(final Http.Response r, final DownloadPlan.Part p, final RandomAccessFile out) throws IOException {
            final byte[] buf = new byte[BUFFER];
            final InputStream in = r.body();
            watch(p);
            try {
                while (!p.complete()) {
                    final int want = p.end < 0 ? buf.length : (int) Math.min(buf.length, p.end - p.next() + 1);
                    final int n = in.read(buf, 0, want);
                    if (n < 0) {
                        return;
                    }
                    out.seek(p.next());
                    out.write(buf, 0, n);
                    p.done += n;
                    synchronized (p) {
                        p.lastProgressNanos = System.nanoTime();
                    }
                }
            } finally {
                unwatch(p);
            }
        }

        private void watch(final DownloadPlan.Part p) {
            synchronized (p) {
                p.reader = Thread.currentThread();
                p.lastProgressNanos = System.nanoTime();
            }
        }

        /** Stops watching; an interrupt the watchdog sent after the last read is cleared, not left for file I/O. */
        private void unwatch(final DownloadPlan.Part p) {
            synchronized (p) {
                p.reader = null;
                if (p.stalled) {
                    Thread.interrupted();
                }
            }
        }

        private boolean clearStall(final DownloadPlan.Part p) {
            synchronized (p) {
                final boolean stalled = p.stalled;
                p.stalled = false;
                if (stalled) {
                    Thread.interrupted();
                }
                return stalled;
            }
        }

        /** Every {@value #TICK_MS} ms: interrupt readers that stalled, report progress, save the plan each second. */
        private void tick() {
            final long now = System.nanoTime();
            for (DownloadPlan.Part p : plan.parts) {
                synchronized (p) {
                    if (p.reader != null && !p.stalled && now - p.lastProgressNanos > options.stallTimeout().toNanos()) {
                        p.stalled = true;
                        p.reader.interrupt();
                    }
                }
            }
            listener.bytes(src.label(), plan.done(), plan.size);
            if (now - lastSaveNanos > 1_000_000_000L) {
                lastSaveNanos = now;
                try {
                    plan.save(planFile);
                } catch (IOException ignored) {
                    // saved again at the end; a lost save only means resuming from an earlier byte
                }
            }
        }
    }

    /** A strong ETag, else Last-Modified: what If-Range may carry. */
    private static String validator(final Http.Response r) {
        final String etag = r.header("ETag").orElse(null);
        if (etag != null && !etag.startsWith("W/")) {
            return etag;
        }
        return r.header("Last-Modified").orElse(null);
    }

    /** An answer no retry will change (404, 401, a wrong range). */
    static final class FatalHttpException extends IOException {
        FatalHttpException(final String message) {
            super(message);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
