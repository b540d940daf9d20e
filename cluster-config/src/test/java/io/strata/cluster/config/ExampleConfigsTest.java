package io.strata.cluster.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExampleConfigsTest {
    private static final Path EXAMPLES = Path.of("examples");
    private static final Pattern SPLIT = Pattern.compile("(?:pp(\\d+))?-?(?:tp(\\d+))?\\.yaml");

    private static List<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void theFourDocumentedExamplesExist() throws IOException {
        final List<String> names = examples().stream().map(p -> p.getFileName().toString()).toList();
        assertTrue(names.containsAll(List.of("single-node.yaml", "pp2.yaml", "tp2.yaml", "pp2-tp2.yaml")), names::toString);
    }

    @Test
    void everyExampleLoadsAndUsesExactlyTheWorkersItLists() throws IOException {
        for (final Path p : examples()) {
            final ClusterConfig c = ClusterConfigLoader.load(p);
            assertEquals(c.workers().size(), c.workersNeeded(), p + ": workers listed vs replicas x pp x tp");
            assertEquals("stories260K.gguf", c.model(), p.toString());
            assertEquals(1, c.coordinators().size(), p.toString());
        }
    }

    @Test
    void eachExampleSplitsTheWayItsFileNameSays() throws IOException {
        for (final Path p : examples()) {
            final String name = p.getFileName().toString();
            final Matcher m = SPLIT.matcher(name);
            final ClusterConfig c = ClusterConfigLoader.load(p);
            final int pp = m.matches() && m.group(1) != null ? Integer.parseInt(m.group(1)) : 1;
            final int tp = m.matches() && m.group(2) != null ? Integer.parseInt(m.group(2)) : 1;
            assertEquals(pp, c.pipelineParallel(), name);
            assertEquals(tp, c.tensorParallel(), name);
        }
    }
}
