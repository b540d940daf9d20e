package io.strata.cluster.config;

import java.util.Objects;

/** One Hazelcast member to contact when joining: a host and the first port of its range. */
public record SeedMember(String host, int port) {
    public SeedMember {
        Objects.requireNonNull(host, "host");
    }
}
