package io.strata.worker.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real Hazelcast members on loopback (TCP-IP join, multicast off). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ControlPlaneTest {
    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static MemberInventory worker(String name, int aeronPort) {
        return new MemberInventory(name, "worker", "cpu", 1, 1L << 30, "127.0.0.1:" + aeronPort, "127.0.0.1:0");
    }

    @Test
    void membersWithTheClusterNameJoinSeeEachOthersInventoryAndLoseALeaver() throws Exception {
        int p1 = freePort();
        int p2 = freePort();
        List<String> seeds = List.of("127.0.0.1:" + p1, "127.0.0.1:" + p2);
        try (ControlPlane a = ControlPlane.join(new ControlPlane.Settings("strata-test", "127.0.0.1", p1, seeds,
                Duration.ofSeconds(20)), worker("w1", 40001))) {
            CountDownLatch left = new CountDownLatch(1);
            a.onDeparture(name -> {
                if (name.equals("w2")) {
                    left.countDown();
                }
            });
            ControlPlane b = ControlPlane.join(new ControlPlane.Settings("strata-test", "127.0.0.1", p2, seeds,
                    Duration.ofSeconds(20)), worker("w2", 40002));
            try {
                assertEquals(2, a.memberCount());
                assertEquals(2, b.inventory().size());
                assertEquals("127.0.0.1:40002", a.inventory().get("w2").aeronEndpoint());
                assertTrue(a.isLeader(), "the first member is the oldest, so the leader");
                assertFalse(b.isLeader());
                assertTrue(a.publishPlan(1, "{\"version\":1}"));
                assertFalse(b.publishPlan(1, "{\"version\":1,\"other\":true}"), "a version is written once");
                assertEquals(1L, b.newestPlanVersion());
                assertEquals("{\"version\":1}", b.plan(1));
            } finally {
                b.close();
            }
            assertTrue(left.await(20, TimeUnit.SECONDS), "the leaver is reported");
            assertEquals(List.of("w1"), List.copyOf(a.inventory().keySet()));
        }
    }

    @Test
    void aMemberWithAnotherClusterNameIsRefused() throws Exception {
        int p1 = freePort();
        int p2 = freePort();
        try (ControlPlane a = ControlPlane.join(new ControlPlane.Settings("strata-prod", "127.0.0.1", p1,
                List.of("127.0.0.1:" + p1), Duration.ofSeconds(10)), worker("w1", 40011))) {
            ClusterJoinException e = assertThrows(ClusterJoinException.class, () -> ControlPlane.join(
                    new ControlPlane.Settings("strata-dev", "127.0.0.1", p2, List.of("127.0.0.1:" + p1),
                            Duration.ofSeconds(4)), worker("w2", 40012)));
            assertTrue(e.getMessage().contains("strata-dev") && e.getMessage().contains("cluster name"), e.getMessage());
            assertEquals(1, a.memberCount());
            assertEquals(1, a.inventory().size());
        }
    }
}
