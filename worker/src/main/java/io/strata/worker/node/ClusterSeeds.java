package io.strata.worker.node;

import io.strata.cluster.config.ClusterConfig;
import io.strata.cluster.config.SeedMember;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Small facts every process of a cluster derives from its config the same way. */
public final class ClusterSeeds {
    private ClusterSeeds() {}

    /** host:port of every seed member, each seed's port range of {@code port_count} ports spelled out. */
    public static List<String> of(ClusterConfig c) {
        List<String> out = new ArrayList<>();
        for (SeedMember s : c.hazelcast().seedMembers()) {
            for (int i = 0; i < c.hazelcast().portCount(); i++) {
                out.add(s.host() + ":" + (s.port() + i));
            }
        }
        if (out.isEmpty()) {
            c.coordinators().forEach(k -> out.add(k.host() + ":" + k.hazelcastPort()));
        }
        return out;
    }

    /** A TCP port free on {@code host} now (for a process whose config names none). */
    public static int freePort(String host) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + host + ": " + e.getMessage(), e);
        }
    }
}
