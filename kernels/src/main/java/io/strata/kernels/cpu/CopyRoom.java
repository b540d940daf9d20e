package io.strata.kernels.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the machine has room for another off-heap copy of a matrix ({@link io.strata.kernels.InterleavedRows}).
 * A copy is anonymous memory that the kernel cannot evict, where the mapped file's pages it replaces could be: a
 * model near the size of the memory must not be copied into an out-of-memory kill. So a copy is made only while
 * what Linux reports available ({@code MemAvailable}) stays, after it, above a reserve of a quarter of the memory
 * (at least 2 GiB); otherwise the products read the mapped file, as they would without the copies.
 */
final class CopyRoom {
    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private static final long MIN_RESERVE = 2L << 30;

    private CopyRoom() {
    }

    /** Whether a copy of {@code bytes} may be made now (false where the memory cannot be read). */
    static boolean hasRoomFor(long bytes) {
        long[] m = meminfo();
        return m != null && fits(bytes, m[0], m[1]);
    }

    /** The rule: {@code available − bytes} ≥ max(2 GiB, total / 4). */
    static boolean fits(long bytes, long available, long total) {
        return bytes >= 0 && available - bytes >= Math.max(MIN_RESERVE, total / 4);
    }

    /** {MemAvailable, MemTotal} in bytes, or null where /proc/meminfo is missing or says neither. */
    private static long[] meminfo() {
        long available = -1;
        long total = -1;
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("MemAvailable:")) {
                    available = kilobytes(line);
                } else if (line.startsWith("MemTotal:")) {
                    total = kilobytes(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return available < 0 || total < 0 ? null : new long[]{available, total};
    }

    private static long kilobytes(String line) {
        String[] parts = line.trim().split("\\s+");
        return Long.parseLong(parts[1]) * 1024;
    }
}
