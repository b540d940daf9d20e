package io.strata.kernels.cpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class ThreadTeamTest {

    @Test
    void everyIndexRunsExactlyOnceInAlignedPieces() {
        try (ThreadTeam team = new ThreadTeam(2)) {
            for (int n : new int[]{17, 100, 1000, 4099}) {
                for (int pieces : new int[]{1, 2, 3, 8, 16, 1000}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    int finalN = n;
                    team.parallelForPieces(n, 16, pieces, (from, to, worker) -> {
                        assertTrue(from % 16 == 0 && (to % 16 == 0 || to == finalN), from + ".." + to);
                        assertTrue(worker == 0 || worker == 1, "worker " + worker);
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), "n " + n + " pieces " + pieces + " index " + i);
                    }
                }
            }
        }
    }

    @Test
    void aSlowThreadHoldsTheLoopUpByOnePieceNotItsShare() {
        try (ThreadTeam team = new ThreadTeam(2)) {
            AtomicInteger slowPieces = new AtomicInteger();
            AtomicInteger fastPieces = new AtomicInteger();
            AtomicInteger slept = new AtomicInteger();
            team.parallelForPieces(16 * 16, 16, 16, (from, to, worker) -> {
                // the first piece the worker thread takes stands for a thread the machine stalls for a while
                if (worker == 1 && slept.getAndIncrement() == 0) {
                    sleep(400);
                    slowPieces.incrementAndGet();
                } else {
                    sleep(10);
                    (worker == 1 ? slowPieces : fastPieces).incrementAndGet();
                }
            });
            assertEquals(16, slowPieces.get() + fastPieces.get());
            // with one range each the caller would take 8 and wait 400 ms + 7 x 10 ms for the stalled thread's rest
            assertTrue(fastPieces.get() >= 14, "the caller took " + fastPieces.get() + " of 16 pieces");
        }
    }

    @Test
    void oneRangePerThreadStaysTheDefault() {
        try (ThreadTeam team = new ThreadTeam(2)) {
            AtomicIntegerArray ranges = new AtomicIntegerArray(4);
            team.parallelFor(64, 16, (from, to, worker) -> {
                ranges.set(2 * worker, from);
                ranges.set(2 * worker + 1, to);
            });
            assertEquals(0, ranges.get(0));
            assertEquals(32, ranges.get(1));
            assertEquals(32, ranges.get(2));
            assertEquals(64, ranges.get(3));
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
