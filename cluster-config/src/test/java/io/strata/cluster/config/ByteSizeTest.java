package io.strata.cluster.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ByteSizeTest {

    @Test
    void binaryUnitsArePowersOf1024AndDecimalOnesOf1000() {
        assertEquals(8L << 30, ByteSize.parse("8GiB").bytes());
        assertEquals(512L << 20, ByteSize.parse("512 MiB").bytes());
        assertEquals(3L << 29, ByteSize.parse("1.5GiB").bytes());
        assertEquals(2_000_000_000L, ByteSize.parse("2GB").bytes());
        assertEquals(4096L, ByteSize.parse("4096").bytes());
        assertEquals(1024L, ByteSize.parse("1kib").bytes());
    }

    @Test
    void printsTheLargestExactBinaryUnit() {
        assertEquals("8GiB", new ByteSize(8L << 30).toString());
        assertEquals("1536MiB", new ByteSize(3L << 29).toString());
        assertEquals("100B", new ByteSize(100).toString());
        assertEquals(ByteSize.parse("1536MiB"), ByteSize.parse(ByteSize.parse("1.5GiB").toString()));
    }

    @Test
    void rejectsUnknownUnitsFractionsOfAByteAndOverflowWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("8GiBs")).getMessage()
                .contains("not a memory unit"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("0.5B")).getMessage()
                .contains("whole number of bytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("99999999TiB")).getMessage()
                .contains("too large"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("lots")).getMessage()
                .contains("not a memory size"));
    }
}
