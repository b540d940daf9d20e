package io.strata.kernels.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BandwidthProbeTest {

    @Test
    void countsBytesAsDocumentedAndReadsEveryElement() {
        long arrayBytes = 1 << 20;
        try (ThreadTeam team = new ThreadTeam(2); BandwidthProbe probe = new BandwidthProbe(team, arrayBytes)) {
            assertEquals(arrayBytes, probe.arrayBytes());
            BandwidthProbe.Measurement triad = probe.triad(1, 3);
            BandwidthProbe.Measurement read = probe.read(1, 3);
            assertEquals(3 * arrayBytes, triad.bytesPerPass());
            assertEquals(arrayBytes, read.bytesPerPass());
            assertEquals(2, read.threads());
            assertTrue(triad.bytesPerSecond() > 0 && read.bytesPerSecond() > 0);
            assertTrue(read.bestSeconds() <= read.medianSeconds());
            // array b holds the byte pattern 0x3f3f3f3f in every float; float sums round (1e-5 here), while a
            // skipped page would be off by 1/256
            double expected = (arrayBytes / 4) * (double) Float.intBitsToFloat(0x3f3f3f3f);
            assertEquals(expected, probe.lastSum(), expected * 1e-4);
        }
    }

    @Test
    void theNativeReadReadsEveryElementAndBestReadIsTheFaster() {
        org.junit.jupiter.api.Assumptions.assumeTrue(NativeKernels.available(),
                () -> "no native read: " + NativeKernels.why());
        long arrayBytes = 1 << 20;
        try (ThreadTeam team = new ThreadTeam(2); BandwidthProbe probe = new BandwidthProbe(team, arrayBytes)) {
            BandwidthProbe.Measurement nat = probe.nativeRead(1, 3);
            assertEquals("native read", nat.kernel());
            assertEquals(arrayBytes, nat.bytesPerPass());
            double expected = (arrayBytes / 4) * (double) Float.intBitsToFloat(0x3f3f3f3f);
            assertEquals(expected, probe.lastSum(), expected * 1e-4, "a skipped page would be off by 1/256");
            BandwidthProbe.Measurement best = probe.bestRead(1, 3);
            assertTrue(best.kernel().equals("read") || best.kernel().equals("native read"), best.kernel());
        }
    }

    @Test
    void roundsSizesToWholePages() {
        try (ThreadTeam team = new ThreadTeam(1); BandwidthProbe probe = new BandwidthProbe(team, 10_000)) {
            assertEquals(8192, probe.arrayBytes());
            assertEquals(8192, probe.read(0, 1).bytesPerPass());
        }
    }
}
