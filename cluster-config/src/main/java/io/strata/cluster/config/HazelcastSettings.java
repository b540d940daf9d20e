package io.strata.cluster.config;

import java.util.List;

/**
 * How processes find each other on the control plane: TCP-IP join to the seed members (multicast is never used).
 * Each seed is tried on {@code portCount} consecutive ports from its port. Hosts and a count, not
 * {@code "host:5701-5705"} strings: Hazelcast's range form fails to parse (platform notes).
 */
public record HazelcastSettings(List<SeedMember> seedMembers, int portCount) {
    public HazelcastSettings {
        seedMembers = List.copyOf(seedMembers);
    }
}
