package io.strata.worker.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * This process's membership of the Strata cluster, on Hazelcast: TCP-IP join to the configured seed members
 * (multicast and auto-detection off), the cluster name checked, and two maps: each member's
 * {@link MemberInventory} and the versioned placement plans. Nothing per token goes through here.
 *
 * <p>Hazelcast silently keeps a member with another cluster name out; {@link #join} turns that into an error: a
 * process whose seeds are all elsewhere must see one of them within the join timeout, or it refuses to run.
 */
public final class ControlPlane implements AutoCloseable {
    public static final String INVENTORY_MAP = "strata.inventory";
    public static final String PLAN_MAP = "strata.plans";
    public static final String READY_MAP = "strata.ready";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param clusterName the cluster's name: members with another name are refused
     * @param host        the interface this member binds and announces
     * @param port        this member's Hazelcast port
     * @param seeds       host:port of the seed members (this one may be among them)
     * @param joinTimeout how long to wait for a seed other than this member
     */
    public record Settings(String clusterName, String host, int port, List<String> seeds, Duration joinTimeout) {
        public Settings {
            seeds = List.copyOf(seeds);
        }
    }

    private final HazelcastInstance hz;
    private final IMap<String, String> inventory;
    private final IMap<Long, String> plans;
    private final IMap<String, Long> ready;
    private final List<Consumer<String>> departures = new CopyOnWriteArrayList<>();
    private final UUID self;

    private ControlPlane(HazelcastInstance hz) {
        this.hz = hz;
        this.inventory = hz.getMap(INVENTORY_MAP);
        this.plans = hz.getMap(PLAN_MAP);
        this.ready = hz.getMap(READY_MAP);
        this.self = hz.getCluster().getLocalMember().getUuid();
    }

    /** Starts this member, joins the cluster and publishes its inventory. */
    public static ControlPlane join(Settings settings, MemberInventory me) {
        Config cfg = new Config();
        cfg.setClusterName(settings.clusterName());
        cfg.setInstanceName("strata-" + me.name() + "-" + UUID.randomUUID());
        cfg.setProperty("hazelcast.logging.type", "jdk");
        cfg.setProperty("hazelcast.phone.home.enabled", "false");
        cfg.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        cfg.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
        cfg.setProperty("hazelcast.shutdownhook.enabled", "false");
        // the control plane holds a few small maps: 271 partitions (the default) only slow every join's migration
        cfg.setProperty("hazelcast.partition.count", "31");
        cfg.getJetConfig().setEnabled(false);
        NetworkConfig net = cfg.getNetworkConfig();
        net.setPort(settings.port()).setPortAutoIncrement(false);
        net.setPublicAddress(settings.host() + ":" + settings.port());
        net.getInterfaces().setEnabled(true).addInterface(settings.host());
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(settings.seeds())
                .setConnectionTimeoutSeconds((int) Math.max(1, settings.joinTimeout().toSeconds()));
        HazelcastInstance hz;
        try {
            hz = Hazelcast.newHazelcastInstance(cfg);
        } catch (RuntimeException e) {
            throw new ClusterJoinException("cannot start cluster member " + me.name() + " on " + settings.host() + ":"
                    + settings.port() + ": " + e.getMessage());
        }
        ControlPlane cp = new ControlPlane(hz);
        try {
            cp.awaitSeed(settings);
            cp.watchDepartures();
            cp.inventory.put(me.name(), JSON.writeValueAsString(new Entry(cp.self.toString(), me)));
            return cp;
        } catch (JsonProcessingException e) {
            cp.close();
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            cp.close();
            throw e;
        }
    }

    /** The inventory entry as stored: the member's Hazelcast id beside what it announced. */
    record Entry(String uuid, MemberInventory member) {
    }

    /**
     * Alone after start: fine for the first seed when no other seed is up; an error when another seed answers TCP
     * but did not take this member in (another cluster name), or when no seed is up and this member is not one.
     */
    private void awaitSeed(Settings settings) {
        String me = settings.host() + ":" + settings.port();
        List<String> others = settings.seeds().stream().filter(s -> !s.equals(me)).toList();
        long deadline = System.nanoTime() + settings.joinTimeout().toNanos();
        while (hz.getCluster().getMembers().size() < 2) {
            List<String> up = others.stream().filter(ControlPlane::answers).toList();
            if (up.isEmpty()) {
                if (settings.seeds().contains(me)) {
                    return; // the first seed up: it forms the cluster
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new ClusterJoinException("could not join cluster '" + settings.clusterName()
                            + "': no seed member " + settings.seeds() + " is reachable");
                }
            } else if (System.nanoTime() - deadline > 0) {
                throw new ClusterJoinException("could not join cluster '" + settings.clusterName() + "': the seed "
                        + "member(s) " + up + " answer but did not accept this member within "
                        + settings.joinTimeout().toSeconds() + " s: their cluster name differs (they run another cluster)");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterJoinException("interrupted while joining cluster '" + settings.clusterName() + "'");
            }
        }
    }

    private static boolean answers(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(hostPort.substring(0, colon),
                    Integer.parseInt(hostPort.substring(colon + 1))), 300);
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    private void watchDepartures() {
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                String gone = event.getMember().getUuid().toString();
                for (Map.Entry<String, String> e : inventory.entrySet()) {
                    Entry entry = read(e.getValue());
                    if (entry != null && entry.uuid().equals(gone)) {
                        inventory.remove(e.getKey(), e.getValue());
                        ready.remove(e.getKey());
                        departures.forEach(c -> c.accept(e.getKey()));
                    }
                }
            }
        });
    }

    private static Entry read(String json) {
        try {
            return JSON.readValue(json, Entry.class);
        } catch (JsonProcessingException e) {
            return null; // not ours: ignored
        }
    }

    /** Every member's inventory, by name. */
    public Map<String, MemberInventory> inventory() {
        Map<String, MemberInventory> out = new TreeMap<>();
        for (Map.Entry<String, String> e : inventory.entrySet()) {
            Entry entry = read(e.getValue());
            if (entry != null) {
                out.put(e.getKey(), entry.member());
            }
        }
        return out;
    }

    /** Called with a member's name when it leaves the cluster (killed, partitioned, stopped). */
    public void onDeparture(Consumer<String> listener) {
        departures.add(listener);
    }

    /** Members currently in the cluster. */
    public int memberCount() {
        return hz.getCluster().getMembers().size();
    }

    /** The leader is the oldest member: it writes the placement plans. */
    public boolean isLeader() {
        Member oldest = hz.getCluster().getMembers().iterator().next();
        return oldest.localMember();
    }

    /**
     * Publishes a placement plan under its version; versions only grow, so a late writer cannot roll the cluster
     * back. Returns false when this version or a newer one is already there.
     */
    public boolean publishPlan(long version, String planJson) {
        Long newest = newestPlanVersion();
        if (newest != null && newest >= version) {
            return false;
        }
        return plans.putIfAbsent(version, planJson) == null;
    }

    /** The newest plan's version, or null when none was published. */
    public Long newestPlanVersion() {
        return plans.keySet().stream().max(Long::compare).orElse(null);
    }

    public String plan(long version) {
        return plans.get(version);
    }

    /** Says this member has loaded its share of plan {@code version} and reached its peers. */
    public void markReady(String name, long version) {
        ready.put(name, version);
    }

    /** The plan version the member said it is ready for, or null (not ready, or gone). */
    public Long readyVersion(String name) {
        return ready.get(name);
    }

    /** Leaves the cluster; the members left remove this one's inventory, as they do when a member dies. */
    @Override
    public void close() {
        hz.shutdown();
    }
}
