package io.strata.cluster.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterConfigLoaderTest {
    /** Two workers on two hosts; line numbers below are this text's. */
    static final String VALID = """
            cluster_name: test-cluster
            hazelcast:
              port_count: 2
              seed_members:
                - host: 10.0.0.1
                  port: 5701
            coordinators:
              - name: c1
                host: 10.0.0.1
                http_port: 8080
                hazelcast_port: 5701
            workers:
              - name: w1
                host: 10.0.0.1
                aeron_port: 40101
                http_port: 9101
                memory: 8GiB
                threads: 4
                backend: cpu
              - name: w2
                host: 10.0.0.2
                aeron_port: 40101
                http_port: 9101
                memory: 512MiB
                threads: 2
                backend: cuda
            model: stories260K.gguf
            pipeline_parallel: 2
            """;

    private static ConfigException refused(final String yaml) {
        return assertThrows(ConfigException.class, () -> ClusterConfigLoader.parse("cluster.yaml", yaml));
    }

    private static String onlyMessage(final String yaml) {
        final ConfigException e = refused(yaml);
        assertEquals(1, e.problems().size(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aValidFileBecomesRecordsWithDefaultsForOmittedKeys() {
        final ClusterConfig c = ClusterConfigLoader.parse("cluster.yaml", VALID);
        assertEquals("test-cluster", c.clusterName());
        assertEquals(new HazelcastSettings(List.of(new SeedMember("10.0.0.1", 5701)), 2), c.hazelcast());
        assertEquals(List.of(new CoordinatorSpec("c1", "10.0.0.1", 8080, 5701)), c.coordinators());
        assertEquals(new WorkerSpec("w2", "10.0.0.2", 40101, 9101, new ByteSize(512L << 20), 2, Backend.CUDA),
                c.worker("w2"));
        assertEquals(8L << 30, c.worker("w1").memory().bytes());
        assertEquals("stories260K.gguf", c.model());
        assertEquals(OptionalInt.empty(), c.contextLength());
        assertEquals(8, c.slots());
        assertEquals(1, c.replicas());
        assertEquals(2, c.pipelineParallel());
        assertEquals(1, c.tensorParallel());
    }

    @Test
    void aPortOutOfRangeNamesFileLineAndField() {
        assertEquals("cluster.yaml:22: workers[1].aeron_port: 70000 is not a port (1-65535)",
                onlyMessage(VALID.replace("    aeron_port: 40101\n    http_port: 9101\n    memory: 512MiB",
                        "    aeron_port: 70000\n    http_port: 9101\n    memory: 512MiB")));
    }

    @Test
    void anUnknownKeyIsNamedWithTheClosestKnownKey() {
        assertEquals("cluster.yaml:19: workers[0].thread: unknown key; did you mean threads?",
                onlyMessage(VALID.replace("threads: 4", "threads: 4\n    thread: 4")));
        assertTrue(onlyMessage(VALID + "tensor_paralel: 2\n")
                .startsWith("cluster.yaml:29: tensor_paralel: unknown key; did you mean tensor_parallel?"));
    }

    @Test
    void aMissingRequiredKeyPointsAtItsMapping() {
        assertEquals("cluster.yaml:20: workers[1].threads: required key is missing",
                onlyMessage(VALID.replace("    threads: 2\n", "")));
    }

    @Test
    void aKeyWrittenTwiceIsRefusedWithTheFirstLine() {
        assertEquals("cluster.yaml:28: model: duplicate key (first at line 27)",
                onlyMessage(VALID.replace("model: stories260K.gguf\n", "model: stories260K.gguf\nmodel: other.gguf\n")));
    }

    @Test
    void badValuesSayWhatIsExpected() {
        assertEquals("cluster.yaml:17: workers[0].memory: 'GiB' is not a memory size (write e.g. 8GiB, 512MiB or a byte count)",
                onlyMessage(VALID.replace("memory: 8GiB", "memory: GiB")));
        assertEquals("cluster.yaml:26: workers[1].backend: 'cdua' is not one of [cpu, cuda, rocm]; did you mean cuda? ",
                onlyMessage(VALID.replace("backend: cuda", "backend: cdua")));
        assertEquals("cluster.yaml:18: workers[0].threads: four is not a whole number",
                onlyMessage(VALID.replace("threads: 4", "threads: four")));
        assertEquals("cluster.yaml:12: workers: expected a list of '- ' items, found 'none'",
                onlyMessage(VALID.substring(0, VALID.indexOf("workers:")) + "workers: none\nmodel: m\n"));
    }

    @Test
    void everyProblemInTheFileIsReportedAtOnce() {
        final ConfigException e = refused(VALID.replace("threads: 4", "threads: 0").replace("http_port: 8080", "http_port: 0")
                .replace("cluster_name: test-cluster", "cluster_name: bad name!"));
        assertEquals(List.of(1, 10, 18), e.problems().stream().map(ConfigProblem::line).toList(), e.getMessage());
    }

    @Test
    void twoProcessesWithOneNameAreRefused() {
        assertEquals("cluster.yaml:20: workers[1].name: 'w1' is already the name of workers[0] (line 13); every process needs its own name",
                onlyMessage(VALID.replace("name: w2", "name: w1")));
        assertTrue(onlyMessage(VALID.replace("name: w1", "name: c1")).contains("workers[0].name: 'c1' is already the name of coordinators[0]"));
    }

    @Test
    void onePortTwiceOnOneHostIsRefusedButTheSamePortOnAnotherHostIsNot() {
        assertEquals("cluster.yaml:16: workers[0].http_port: port 8080 on 10.0.0.1 is already taken by coordinators[0].http_port (line 10)",
                onlyMessage(VALID.replace("http_port: 9101\n    memory: 8GiB", "http_port: 8080\n    memory: 8GiB")));
        // w1 and w2 already share 40101 and 9101 on different hosts: VALID loads.
        final ConfigException sameHost = refused(VALID.replace("host: 10.0.0.2", "host: 10.0.0.1"));
        assertEquals(List.of("workers[1].aeron_port", "workers[1].http_port"),
                sameHost.problems().stream().map(ConfigProblem::field).toList(), sameHost.getMessage());
        assertTrue(sameHost.getMessage().startsWith(
                "cluster.yaml:22: workers[1].aeron_port: port 40101 on 10.0.0.1 is already taken by workers[0].aeron_port (line 15)"));
    }

    @Test
    void moreWorkersNeededThanListedIsRefusedAtTheParallelismKey() {
        assertEquals("cluster.yaml:28: pipeline_parallel: replicas 1 x pipeline_parallel 2 x tensor_parallel 2 needs 4 workers,"
                        + " the file lists 2; add workers or lower one of the three",
                onlyMessage(VALID + "tensor_parallel: 2\n"));
    }

    @Test
    void aSeedPortRangeMustEndAtAPort() {
        assertEquals("cluster.yaml:6: hazelcast.seed_members[0].port: port 65535 with port_count 2 runs past 65535",
                onlyMessage(VALID.replace("port: 5701\ncoordinators", "port: 65535\ncoordinators")));
    }

    @Test
    void aFileWithoutWorkersOrCoordinatorsIsRefused() {
        final String noWorkers = VALID.substring(0, VALID.indexOf("workers:")) + "workers: []\nmodel: m\n";
        assertTrue(onlyMessage(noWorkers).contains("workers: list at least one worker"));
    }
}
