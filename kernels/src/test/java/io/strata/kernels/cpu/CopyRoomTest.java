package io.strata.kernels.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CopyRoomTest {
    private static final long GIB = 1L << 30;

    @Test
    void aCopyIsMadeWhileAQuarterOfTheMemoryStaysAvailable() {
        assertTrue(CopyRoom.fits(GIB / 2, 20 * GIB, 24 * GIB));
        assertTrue(CopyRoom.fits(14 * GIB, 20 * GIB, 24 * GIB));
        assertFalse(CopyRoom.fits(14 * GIB + 1, 20 * GIB, 24 * GIB));
    }

    @Test
    void aSmallMachineKeepsAtLeastTwoGibibytes() {
        assertTrue(CopyRoom.fits(GIB, 3 * GIB, 4 * GIB));
        assertFalse(CopyRoom.fits(GIB + 1, 3 * GIB, 4 * GIB));
    }

    @Test
    void aModelAsLargeAsTheMemoryIsNotCopied() {
        assertFalse(CopyRoom.fits(20 * GIB, 22 * GIB, 24 * GIB));
        assertFalse(CopyRoom.fits(-1, 22 * GIB, 24 * GIB));
    }

    @Test
    void thisMachineReportsItsMemory() {
        // /proc/meminfo is read where the native kernels run (Linux); a small copy fits on any test machine
        if (java.nio.file.Files.exists(java.nio.file.Path.of("/proc/meminfo"))) {
            assertTrue(CopyRoom.hasRoomFor(1 << 20), "a 1 MiB copy should fit");
        }
    }
}
