package io.strata.cluster.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files that try to exhaust memory or time get a clear refusal, fast. */
class HostileInputTest {
    private static final Duration FAST = Duration.ofSeconds(5);

    private static String refusal(final String yaml) {
        return assertTimeoutPreemptively(FAST, () ->
                assertThrows(ConfigException.class, () -> ClusterConfigLoader.parse("evil.yaml", yaml)).getMessage());
    }

    @Test
    void anAliasBombIsStoppedBeforeItExpands() {
        final StringBuilder y = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 12; i++) {
            y.append("a").append(i).append(": &a").append(i).append(" [");
            for (int j = 0; j < 9; j++) {
                y.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
            }
            y.append("]\n");
        }
        final String m = refusal(y.toString());
        assertTrue(m.startsWith("evil.yaml: more than 16 aliases (*name) to lists or mappings"), m);
    }

    @Test
    void deepNestingIsRefusedWithTheLimit() {
        final String m = refusal("a: " + "[".repeat(5000) + "]".repeat(5000) + "\n");
        assertTrue(m.startsWith("evil.yaml: nested more than 16 levels deep"), m);
    }

    @Test
    void aHugeFileIsRefusedByItsSizeWithoutBeingParsed(@TempDir final Path dir) throws IOException {
        final Path big = dir.resolve("big.yaml");
        Files.writeString(big, "# " + "x".repeat(ClusterConfigLoader.MAX_FILE_BYTES) + "\n");
        final String m = assertThrows(ConfigException.class, () -> ClusterConfigLoader.load(big)).getMessage();
        assertTrue(m.startsWith("big.yaml: the file is") && m.contains("at most 1048576 bytes"), m);
    }

    @Test
    void bytesThatAreNotUtf8AreRefused(@TempDir final Path dir) throws IOException {
        final Path bin = dir.resolve("bin.yaml");
        Files.write(bin, new byte[] {'a', ':', ' ', (byte) 0xC3, (byte) 0x28, '\n'});
        assertTrue(assertThrows(ConfigException.class, () -> ClusterConfigLoader.load(bin)).getMessage()
                .equals("bin.yaml: is not UTF-8 text"));
    }

    @Test
    void brokenYamlNamesItsLine() {
        final String m = refusal("cluster_name: x\nworkers:\n  - name: [unclosed\n");
        assertTrue(m.startsWith("evil.yaml:4: not valid YAML") || m.startsWith("evil.yaml:3: not valid YAML"), m);
    }

    @Test
    void emptyFilesTopLevelListsAndSeveralDocumentsAreRefused() {
        assertTrue(refusal("").contains("the file is empty"));
        assertTrue(refusal("- a\n- b\n").contains("expected a mapping"));
        assertTrue(refusal("a: 1\n---\nb: 2\n").startsWith("evil.yaml:"));
    }

    @Test
    void aMissingFileIsAConfigErrorNamingIt() {
        final String m = assertThrows(ConfigException.class, () -> ClusterConfigLoader.load(Path.of("no-such.yaml")))
                .getMessage();
        assertTrue(m.startsWith("no-such.yaml: cannot read the file"), m);
    }
    @Test
    void aHugeValueOrKeyIsCutShortInTheMessage() {
        final String value = "x".repeat(200_000);
        final String m = refusal(ClusterConfigLoaderTest.VALID.replace("threads: 4", "threads: " + value));
        assertTrue(m.contains("workers[0].threads: " + "x".repeat(40) + "...(200000 characters) is not a whole number"), m);
        final String key = "k".repeat(100_000);
        final String k = refusal(ClusterConfigLoaderTest.VALID + "? " + key + "\n: 1\n");
        assertTrue(k.length() < 400 && k.contains("...(100000 characters): unknown key"), k);
    }

    @Test
    void thousandsOfProblemsAreCountedNotAllListed() {
        final StringBuilder y = new StringBuilder(ClusterConfigLoaderTest.VALID);
        for (int i = 0; i < 5000; i++) {
            y.append("unknown_").append(i).append(": 1\n");
        }
        final ConfigException e = assertTimeoutPreemptively(FAST, () ->
                assertThrows(ConfigException.class, () -> ClusterConfigLoader.parse("evil.yaml", y.toString())));
        assertEquals(5000, e.problems().size());
        assertEquals(ConfigException.MAX_LISTED + 1, e.getMessage().lines().count());
        assertTrue(e.getMessage().endsWith("... and 4950 more problems"), e.getMessage());
    }
}
