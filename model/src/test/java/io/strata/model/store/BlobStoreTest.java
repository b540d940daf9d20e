package io.strata.model.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlobStoreTest {

    @Test
    void aBlobIsStoredUnderItsSha256(@TempDir Path dir) throws Exception {
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        byte[] bytes = "hello".getBytes(StandardCharsets.UTF_8);
        BlobStore.Blob b = blobs.write(bytes);
        String expected = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        assertEquals(expected, b.digest().hex());
        assertEquals(5, b.size());
        assertEquals(dir.resolve("blobs").resolve("sha256-" + expected), blobs.path(b.digest()));
        assertArrayEquals(bytes, Files.readAllBytes(blobs.path(b.digest())));
        assertEquals(java.util.Set.of(b.digest()), blobs.all());
    }

    @Test
    void bytesThatDoNotMatchTheExpectedDigestAreNeverStored(@TempDir Path dir) throws Exception {
        BlobStore blobs = new BlobStore(dir);
        Digest claimed = Digest.of("the real content".getBytes(StandardCharsets.UTF_8));
        var e = assertThrows(BlobStore.DigestMismatchException.class,
                () -> blobs.write(new ByteArrayInputStream("tampered".getBytes(StandardCharsets.UTF_8)), claimed));
        assertTrue(e.getMessage().contains(claimed.toString()), e.getMessage());
        assertFalse(blobs.contains(claimed));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void bytesThatMatchTheExpectedDigestAreStored(@TempDir Path dir) {
        BlobStore blobs = new BlobStore(dir);
        byte[] bytes = "content".getBytes(StandardCharsets.UTF_8);
        BlobStore.Blob b = blobs.write(new ByteArrayInputStream(bytes), Digest.of(bytes));
        assertTrue(blobs.contains(b.digest()));
    }

    @Test
    void importingOnTheSameFileSystemLinksAndLeavesTheSourceAlone(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("model.gguf");
        Files.write(source, new byte[]{1, 2, 3, 4});
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        BlobStore.Imported imported = blobs.importFile(source);
        assertEquals(BlobStore.ImportMode.HARD_LINK, imported.mode());
        assertTrue(Files.isSameFile(source, blobs.path(imported.blob().digest())));
        assertArrayEquals(new byte[]{1, 2, 3, 4}, Files.readAllBytes(source));
        assertEquals(BlobStore.ImportMode.ALREADY_PRESENT, blobs.importFile(source).mode());
        blobs.delete(imported.blob().digest());
        assertTrue(Files.exists(source), "deleting the blob keeps the source");
    }

    @Test
    void importingASymbolicLinkStoresTheFileItPointsTo(@TempDir Path dir) throws Exception {
        Path real = Files.createDirectories(dir.resolve("real")).resolve("model.gguf");
        Files.write(real, new byte[]{9, 8, 7});
        Path link = Files.createDirectories(dir.resolve("links")).resolve("model.gguf");
        Files.createSymbolicLink(link, Path.of("../real/model.gguf"));
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        Path blob = blobs.path(blobs.importFile(link).blob().digest());
        assertFalse(Files.isSymbolicLink(blob), "a relative link would dangle inside blobs/");
        assertArrayEquals(new byte[]{9, 8, 7}, Files.readAllBytes(blob));
    }

    @Test
    void importingAcrossFileSystemsCopies(@TempDir Path dir) throws Exception {
        Path shared = Path.of(System.getProperty("strata.model.path.default", "../shared/models"), "stories260K.gguf");
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        BlobStore.Imported imported = blobs.importFile(shared);
        // the shared models are another file system or owned by another user: linking is refused, so it copies
        if (!Files.getFileStore(shared).equals(Files.getFileStore(dir))
                || !Files.isWritable(shared)) {
            assertEquals(BlobStore.ImportMode.COPY, imported.mode());
            assertFalse(Files.isSameFile(shared, blobs.path(imported.blob().digest())));
        }
        assertEquals(-1L, Files.mismatch(shared, blobs.path(imported.blob().digest())));
        assertEquals(Files.size(shared), imported.blob().size());
    }

    @Test
    void digestsParseOnlyInTheirWrittenForms() {
        String hex = "a".repeat(64);
        assertEquals(new Digest(hex), Digest.parse("sha256:" + hex));
        assertEquals(new Digest(hex), Digest.fromFileName("sha256-" + hex));
        assertEquals(null, Digest.fromFileName(".tmp-1234"));
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("md5:" + hex));
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:" + hex.substring(1)));
        assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:" + "A".repeat(64)));
    }
}
