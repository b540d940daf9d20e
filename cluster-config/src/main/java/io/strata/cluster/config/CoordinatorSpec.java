package io.strata.cluster.config;

import java.util.Objects;

/** A coordinator process: where it serves the HTTP API and where it listens as a Hazelcast member. */
public record CoordinatorSpec(String name, String host, int httpPort, int hazelcastPort) {
    public CoordinatorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
    }
}
