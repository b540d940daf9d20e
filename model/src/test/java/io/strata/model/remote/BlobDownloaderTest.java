package io.strata.model.remote;

import io.strata.model.store.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads from a real loopback server that cuts connections, stalls, ignores ranges or sends wrong bytes. */
@Timeout(30)
class BlobDownloaderTest {
    private static final DownloadOptions FAST = DownloadOptions.DEFAULT.withRetries(3, Duration.ofMillis(20), Duration.ofSeconds(5));

    @TempDir
    Path dir;

    private LoopbackHttpServer server;
    private Http http;
    private final byte[] content = Payload.bytes();
    private final Digest digest = Digest.of(content);

    @BeforeEach
    void start() throws Exception {
        server = new LoopbackHttpServer();
        http = new Http(Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        http.close();
        server.close();
    }

    private BlobDownloader downloader(final DownloadOptions options) {
        return new BlobDownloader(http, dir.resolve("partial"), options, TransferListener.QUIET);
    }

    private BlobDownloader.Source source(final Digest expected, final long size) {
        return new BlobDownloader.Source(server.uri("/blob"), Map.of(), expected, size, "blob");
    }

    private List<String> ranges() {
        return server.hits("GET", "/blob").stream().map(LoopbackHttpServer.Hit::range).toList();
    }

    static long rangeStart(String range) {
        Matcher m = Pattern.compile("bytes=(\\d+)-\\d*").matcher(range);
        assertTrue(m.matches(), range);
        return Long.parseLong(m.group(1));
    }

    @Test
    void aConnectionCutMidBlobIsResumedFromTheByteItStoppedAt() throws Exception {
        LoopbackHttpServer.Faults f = server.file("/blob", content, Map.of());
        f.dropAfter = 300_000;
        f.dropsLeft.set(1);
        BlobDownloader.Verified v = downloader(FAST).download(source(digest, content.length));
        assertEquals(digest, v.digest());
        assertArrayEquals(content, Files.readAllBytes(v.file()));
        assertEquals(2, ranges().size(), ranges().toString());
        assertEquals(null, ranges().get(0), "a whole-file GET first");
        // the resume starts at the last byte written: at the cut, or a little before when the client had not read
        // everything the server sent before the connection went
        long resumedAt = rangeStart(ranges().get(1));
        assertTrue(resumedAt > 250_000 && resumedAt <= 300_000, ranges().toString());
        assertTrue(ranges().get(1).endsWith("-" + (content.length - 1)), ranges().toString());
    }

    @Test
    void aPullThatGaveUpIsResumedByTheNextOne() throws Exception {
        LoopbackHttpServer.Faults f = server.file("/blob", content, Map.of());
        f.dropAfter = 400_000;
        f.dropsLeft.set(1);
        DownloadOptions once = FAST.withRetries(1, Duration.ofMillis(10), Duration.ofSeconds(5));
        TransferException e = assertThrows(TransferException.class, () -> downloader(once).download(source(digest, content.length)));
        Matcher kept = Pattern.compile("; (\\d+) bytes are kept and the next pull resumes").matcher(e.getMessage());
        assertTrue(kept.find(), e.getMessage());
        long keptBytes = Long.parseLong(kept.group(1));
        assertTrue(keptBytes > 0 && keptBytes <= 400_000, e.getMessage());
        assertEquals(keptBytes, Files.size(dir.resolve("partial").resolve(digest.fileName() + ".partial")));

        BlobDownloader.Verified v = downloader(FAST).download(source(digest, content.length));
        assertEquals(digest, v.digest());
        assertEquals("bytes=" + keptBytes + "-" + (content.length - 1), ranges().getLast());
        assertFalse(Files.exists(dir.resolve("partial").resolve(digest.fileName() + ".plan")), "the plan goes once done");
    }

    @Test
    void wrongBytesAreRefusedAndDiscarded() throws Exception {
        LoopbackHttpServer.Faults f = server.file("/blob", content, Map.of());
        f.corruptAt = 123_456;
        TransferException e = assertThrows(TransferException.class, () -> downloader(FAST).download(source(digest, content.length)));
        assertTrue(e.getMessage().startsWith("digest mismatch for blob from " + server.uri("/blob") + ": expected " + digest), e.getMessage());
        assertTrue(e.getMessage().contains("nothing was stored"), e.getMessage());
        try (var s = Files.list(dir.resolve("partial"))) {
            assertEquals(List.of(), s.toList(), "nothing is left behind");
        }
    }

    @Test
    void aLargeBlobIsFetchedInParallelRangesThatTogetherAreTheFile() throws Exception {
        server.file("/blob", content, Map.of());
        BlobDownloader.Verified v = downloader(FAST.withParallel(64 << 10, 4)).download(source(digest, content.length));
        assertEquals(digest, v.digest());
        long step = content.length / 4;
        Set<String> expected = Set.of("bytes=0-" + (step - 1), "bytes=" + step + "-" + (2 * step - 1),
                "bytes=" + 2 * step + "-" + (3 * step - 1), "bytes=" + 3 * step + "-" + (content.length - 1));
        assertEquals(expected, Set.copyOf(ranges()));
    }

    @Test
    void aParallelRangeThatIsCutResumesAlone() throws Exception {
        LoopbackHttpServer.Faults f = server.file("/blob", content, Map.of());
        f.dropAfter = 50_000;
        f.dropsLeft.set(2);
        BlobDownloader.Verified v = downloader(FAST.withParallel(64 << 10, 4)).download(source(digest, content.length));
        assertEquals(digest, v.digest());
        assertEquals(6, ranges().size(), "four ranges, two of them resumed: " + ranges());
    }

    @Test
    void aServerThatIgnoresRangesIsReadAsOneStream() throws Exception {
        LoopbackHttpServer.Faults f = server.file("/blob", content, Map.of());
        f.ignoreRanges = true;
        BlobDownloader.Verified v = downloader(FAST.withParallel(64 << 10, 4)).download(source(digest, content.length));
        assertEquals(digest, v.digest());
        assertEquals(1, ranges().size(), "the 200 to the first range is the whole file: " + ranges());
    }

    @Test
    void aStalledConnectionIsDroppedAndResumed() throws Exception {
        LoopbackHttpServer.Faults f = server.file("/blob", content, Map.of());
        f.stallAfter = 200_000;
        f.stallMillis = 5_000;
        f.stallsLeft.set(1);
        DownloadOptions stall = FAST.withRetries(3, Duration.ofMillis(10), Duration.ofMillis(500));
        long t0 = System.nanoTime();
        BlobDownloader.Verified v = downloader(stall).download(source(digest, content.length));
        assertEquals(digest, v.digest());
        assertTrue(System.nanoTime() - t0 < 4_000_000_000L, "resumed well before the stall ended");
        assertTrue(ranges().getLast().startsWith("bytes=200000-"), ranges().toString());
    }

    @Test
    void aSizeKnownOnlyFromTheServerIsStillChecked() throws Exception {
        server.file("/blob", content, Map.of());
        BlobDownloader.Verified v = downloader(FAST).download(source(null, -1));
        assertEquals(digest, v.digest(), "without an expected digest the digest is computed");
        assertEquals(content.length, v.size());
    }

    @Test
    void aChangedFileIsFetchedAgainNotSpliced() throws Exception {
        LoopbackHttpServer.Faults f = server.file("/blob", content, Map.of());
        f.dropAfter = 100_000;
        f.dropsLeft.set(1);
        DownloadOptions once = FAST.withRetries(1, Duration.ofMillis(10), Duration.ofSeconds(5));
        assertThrows(TransferException.class, () -> downloader(once).download(source(null, content.length)));
        byte[] changed = content.clone();
        changed[10] ^= 1; // the file changes on the server: a new ETag, so If-Range answers with the whole file
        int before = server.hits("GET", "/blob").size();
        server.file("/blob", changed, Map.of());
        BlobDownloader.Verified v = downloader(FAST).download(source(null, content.length));
        assertEquals(Digest.of(changed), v.digest());
        // the resume asked for the rest only if the file was unchanged (If-Range); large blobs go in parallel ranges,
        // so which part's request comes last is not fixed: some resumed part carries the validator
        List<LoopbackHttpServer.Hit> after = server.hits("GET", "/blob");
        after = after.subList(before, after.size());
        assertTrue(after.stream().anyMatch(h -> h.ifRange() != null && h.range() != null
                && !h.range().startsWith("bytes=0-")), after.toString());
    }

    @Test
    void anEmptyBlobIsAnEmptyFile() throws Exception {
        server.file("/blob", new byte[0], Map.of());
        assertEquals(0, downloader(FAST).download(source(Digest.of(new byte[0]), 0)).size());
        assertEquals(Digest.of(new byte[0]), downloader(FAST).download(source(null, -1)).digest(), "and of unknown size");
    }

    @Test
    void aPlanThatDoesNotAddUpIsDroppedAndTheBlobFetchedAfresh() throws Exception {
        server.file("/blob", content, Map.of());
        Path partial = Files.createDirectories(dir.resolve("partial"));
        Files.write(partial.resolve(digest.fileName() + ".partial"), new byte[1000]);
        Files.writeString(partial.resolve(digest.fileName() + ".plan"), "{\"source\":\"" + digest + "\",\"size\":"
                + content.length + ",\"validator\":null,\"parts\":[[0,10,5],[20," + (content.length - 1) + ",0]]}");
        BlobDownloader.Verified v = downloader(FAST).download(source(digest, content.length));
        assertEquals(digest, v.digest());
        assertEquals(java.util.Collections.singletonList(null), ranges(), "a plan with a gap is no plan: one whole GET");
    }

    @Test
    void aMissingFileIsAnErrorNamingTheStatus() throws Exception {
        TransferException e = assertThrows(TransferException.class, () -> downloader(FAST).download(source(digest, 10)));
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        Set<String> left = Files.list(dir.resolve("partial")).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        assertTrue(left.stream().noneMatch(n -> n.endsWith(".lock")), left.toString());
    }
}
