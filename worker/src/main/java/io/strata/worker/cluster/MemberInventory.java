package io.strata.worker.cluster;

import java.util.Objects;

/**
 * What a member tells the cluster about itself when it joins: enough for the planner to place shards on it and for
 * peers to reach its data plane.
 *
 * @param name          the member's name in the cluster config
 * @param role          {@code worker} or {@code coordinator}
 * @param backend       {@code cpu}, {@code cuda} or {@code rocm}
 * @param threads       compute threads
 * @param memoryBytes   the memory budget for weights and KV cache
 * @param aeronEndpoint host:port of its Aeron data-plane endpoint (empty for coordinators)
 * @param httpEndpoint  host:port of its HTTP port (API or metrics)
 */
public record MemberInventory(String name, String role, String backend, int threads, long memoryBytes,
                              String aeronEndpoint, String httpEndpoint) {
    public MemberInventory {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(aeronEndpoint, "aeronEndpoint");
        Objects.requireNonNull(httpEndpoint, "httpEndpoint");
    }
}
