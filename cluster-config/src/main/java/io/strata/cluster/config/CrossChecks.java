package io.strata.cluster.config;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checks that need more than one field: unique process names, no port used twice on one host, at least one
 * coordinator and one worker, and enough workers for replicas x pipeline_parallel x tensor_parallel.
 */
final class CrossChecks {
    private CrossChecks() {}

    static void check(final ClusterConfig c, final Problems problems) {
        if (c.coordinators().isEmpty()) {
            problems.at("coordinators", "list at least one coordinator");
        }
        if (c.workers().isEmpty()) {
            problems.at("workers", "list at least one worker");
        }
        uniqueNames(c, problems);
        uniquePorts(c, problems);
        enoughWorkers(c, problems);
    }

    private static void uniqueNames(final ClusterConfig c, final Problems problems) {
        final Map<String, String> owners = new HashMap<>();
        for (int i = 0; i < c.coordinators().size(); i++) {
            claimName(owners, c.coordinators().get(i).name(), "coordinators[" + i + "]", problems);
        }
        for (int i = 0; i < c.workers().size(); i++) {
            claimName(owners, c.workers().get(i).name(), "workers[" + i + "]", problems);
        }
    }

    private static void claimName(final Map<String, String> owners, final String name, final String path,
                                  final Problems problems) {
        final String first = owners.putIfAbsent(name, path);
        if (first != null) {
            problems.at(path + ".name", "'" + Problems.shown(name) + "' is already the name of " + first + " (line "
                    + problems.lineOf(first + ".name") + "); every process needs its own name");
        }
    }

    private static void uniquePorts(final ClusterConfig c, final Problems problems) {
        final Map<String, String> owners = new HashMap<>();
        for (int i = 0; i < c.coordinators().size(); i++) {
            final CoordinatorSpec k = c.coordinators().get(i);
            claimPort(owners, k.host(), k.httpPort(), "coordinators[" + i + "].http_port", problems);
            claimPort(owners, k.host(), k.hazelcastPort(), "coordinators[" + i + "].hazelcast_port", problems);
            claimPort(owners, k.host(), k.aeronPort(), "coordinators[" + i + "].aeron_port", problems);
        }
        for (int i = 0; i < c.workers().size(); i++) {
            final WorkerSpec w = c.workers().get(i);
            claimPort(owners, w.host(), w.aeronPort(), "workers[" + i + "].aeron_port", problems);
            claimPort(owners, w.host(), w.httpPort(), "workers[" + i + "].http_port", problems);
            claimPort(owners, w.host(), w.hazelcastPort(), "workers[" + i + "].hazelcast_port", problems);
        }
    }

    private static void claimPort(final Map<String, String> owners, final String host, final int port,
                                  final String path, final Problems problems) {
        if (port == 0) {
            return; // none named: a free one at start
        }
        final String first = owners.putIfAbsent(host + ":" + port, path);
        if (first != null) {
            problems.at(path, "port " + port + " on " + host + " is already taken by " + first + " (line "
                    + problems.lineOf(first) + ")");
        }
    }

    private static void enoughWorkers(final ClusterConfig c, final Problems problems) {
        final long needed = (long) c.replicas() * c.pipelineParallel() * c.tensorParallel();
        if (needed > c.workers().size() && !c.workers().isEmpty()) {
            final String field = Stream.of("replicas", "pipeline_parallel", "tensor_parallel")
                    .filter(problems::hasLine).findFirst().orElse("workers");
            problems.at(field, "replicas " + c.replicas() + " x pipeline_parallel " + c.pipelineParallel()
                    + " x tensor_parallel " + c.tensorParallel() + " needs " + needed + " workers, the file lists "
                    + c.workers().size() + "; add workers or lower one of the three");
        }
    }
}
