package io.strata.cluster.config;

import java.util.Objects;

/**
 * A coordinator process: where it serves the HTTP API and where it listens as a Hazelcast member.
 *
 * @param aeronPort where replicas' head workers send its requests' tokens; 0 (the file names none) = any free port
 */
public record CoordinatorSpec(String name, String host, int httpPort, int hazelcastPort, int aeronPort) {
    public CoordinatorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
    }

    public CoordinatorSpec(String name, String host, int httpPort, int hazelcastPort) {
        this(name, host, httpPort, hazelcastPort, 0);
    }
}
