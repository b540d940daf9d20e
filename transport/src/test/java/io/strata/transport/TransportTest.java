package io.strata.transport;

import io.aeron.Publication;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.DatagramSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data plane over real Aeron media drivers: two drivers stand for two processes, talking UDP on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TransportTest {
    static AeronNode a;
    static AeronNode b;
    static int stream = 1000;

    @BeforeAll
    static void start() {
        a = AeronNode.launch("test-a");
        b = AeronNode.launch("test-b");
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
    }

    static int freePort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    static long in(long millis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static void roundTrip(String channel, int rows, int cols) {
        int id = stream++;
        try (TensorReceiver rx = new TensorReceiver(b.aeron(), channel, id);
             TensorSender tx = new TensorSender(a.aeron(), channel, id, 7)) {
            tx.awaitConnected(in(5000));
            float[] sent = random(rows * cols, id);
            float[] got = new float[rows * cols + 3];
            Thread t = Thread.ofPlatform().start(() -> tx.send(FrameKind.HIDDEN_STATE, 4, 11, 0, rows, cols, sent, 0, in(10_000)));
            int n = rx.receive(FrameKind.HIDDEN_STATE, 4, 11, 0, got, 3, rows * cols, in(10_000));
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertEquals(rows * cols, n);
            assertEquals(rows, rx.rows());
            assertEquals(cols, rx.cols());
            assertEquals(7, rx.sender());
            float[] placed = new float[rows * cols];
            System.arraycopy(got, 3, placed, 0, placed.length);
            assertArrayEquals(sent, placed);
        }
    }

    @Test
    void aHiddenStateCrossesUdpLoopbackBitForBit() throws Exception {
        roundTrip(Channels.udp("127.0.0.1", freePort()), 7, 2048);
    }

    @Test
    void aTensorLargerThanOneMessageIsChunkedAndReassembled() throws Exception {
        // 512 x 2048 floats = 4 MiB: sixteen 256 KiB chunks, more than one term can hold at once
        roundTrip(Channels.udp("127.0.0.1", freePort()), 512, 2048);
    }

    @Test
    void ipcCarriesTheSameFramesInsideOneProcess() {
        int id = stream++;
        try (TensorReceiver rx = new TensorReceiver(a.aeron(), Channels.ipc(), id);
             TensorSender tx = new TensorSender(a.aeron(), Channels.ipc(), id, 1)) {
            tx.awaitConnected(in(5000));
            float[] sent = random(300_000, 5);
            Thread t = Thread.ofPlatform().start(() -> tx.send(FrameKind.HIDDEN_STATE, 1, 1, 0, 1, sent.length, sent, 0, in(10_000)));
            float[] got = new float[sent.length];
            rx.receive(FrameKind.HIDDEN_STATE, 1, 1, 0, got, 0, got.length, in(10_000));
            assertArrayEquals(sent, got);
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void aReceiveWithNothingSentFailsAtItsDeadlineNamingTheStep() throws Exception {
        int id = stream++;
        try (TensorReceiver rx = new TensorReceiver(b.aeron(), Channels.udp("127.0.0.1", freePort()), id)) {
            long start = System.nanoTime();
            TransportException e = assertThrows(TransportException.class,
                    () -> rx.receive(FrameKind.HIDDEN_STATE, 1, 42, 0, new float[8], 0, 8, in(200)));
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(TransportException.Kind.DEADLINE, e.kind());
            assertTrue(e.getMessage().contains("step 42") && e.getMessage().contains("nothing arrived"), e.getMessage());
            assertTrue(took >= 200 && took < 2000, "gave up after " + took + " ms");
        }
    }

    @Test
    void aSendToNobodyFailsAtItsDeadline() throws Exception {
        try (TensorSender tx = new TensorSender(a.aeron(), Channels.udp("127.0.0.1", freePort()), stream++, 0)) {
            TransportException e = assertThrows(TransportException.class,
                    () -> tx.send(FrameKind.HIDDEN_STATE, 1, 3, 0, 1, 4, new float[4], 0, in(200)));
            assertEquals(TransportException.Kind.DEADLINE, e.kind());
            assertTrue(e.getMessage().contains("no receiver connected"), e.getMessage());
        }
    }

    @Test
    void aStaleFrameIsDroppedAndOneFromTheFutureIsAnError() throws Exception {
        String ch = Channels.udp("127.0.0.1", freePort());
        int id = stream++;
        try (TensorReceiver rx = new TensorReceiver(b.aeron(), ch, id);
             TensorSender tx = new TensorSender(a.aeron(), ch, id, 0)) {
            tx.awaitConnected(in(5000));
            tx.send(FrameKind.HIDDEN_STATE, 2, 1, 0, 1, 4, new float[]{1, 1, 1, 1}, 0, in(2000)); // old step
            tx.send(FrameKind.HIDDEN_STATE, 1, 9, 0, 1, 4, new float[]{2, 2, 2, 2}, 0, in(2000)); // old plan
            tx.send(FrameKind.HIDDEN_STATE, 2, 2, 0, 1, 4, new float[]{3, 3, 3, 3}, 0, in(2000)); // the one awaited
            tx.send(FrameKind.HIDDEN_STATE, 2, 5, 0, 1, 4, new float[]{4, 4, 4, 4}, 0, in(2000)); // the future
            float[] got = new float[4];
            rx.receive(FrameKind.HIDDEN_STATE, 2, 2, 0, got, 0, 4, in(5000));
            assertArrayEquals(new float[]{3, 3, 3, 3}, got);
            assertEquals(2, rx.staleFrames());
            TransportException e = assertThrows(TransportException.class,
                    () -> rx.receive(FrameKind.HIDDEN_STATE, 2, 3, 0, got, 0, 4, in(5000)));
            assertEquals(TransportException.Kind.OUT_OF_ORDER, e.kind());
            assertTrue(e.getMessage().contains("step 5/0") && e.getMessage().contains("step 3/0"), e.getMessage());
        }
    }

    @Test
    void bytesThatAreNotAFrameAreRefusedAsMalformed() throws Exception {
        String ch = Channels.udp("127.0.0.1", freePort());
        int id = stream++;
        try (TensorReceiver rx = new TensorReceiver(b.aeron(), ch, id);
             Publication raw = a.aeron().addPublication(ch, id)) {
            long deadline = in(5000);
            UnsafeBuffer junk = new UnsafeBuffer(ByteBuffer.allocateDirect(100));
            junk.putStringWithoutLengthAscii(0, "GET / HTTP/1.1\r\nHost: nobody\r\n\r\n");
            while (raw.offer(junk, 0, 100) < 0) {
                assertTrue(System.nanoTime() < deadline, "could not publish");
                Thread.sleep(1);
            }
            TransportException e = assertThrows(TransportException.class,
                    () -> rx.receive(FrameKind.HIDDEN_STATE, 1, 1, 0, new float[8], 0, 8, in(5000)));
            assertEquals(TransportException.Kind.MALFORMED, e.kind());
            assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
        }
    }

    @Test
    void allReduceOverFourRanksGivesEveryRankTheSameRankOrderSum() throws Exception {
        int ranks = 4;
        List<String> channels = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            channels.add(Channels.udp("127.0.0.1", freePort()));
        }
        AeronNode[] nodes = {a, b, AeronNode.launch("test-c"), AeronNode.launch("test-d")};
        int n = 2048;
        float[][] inputs = new float[ranks][];
        for (int r = 0; r < ranks; r++) {
            inputs[r] = random(n, 100 + r);
        }
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            expected[i] = ((inputs[0][i] + inputs[1][i]) + inputs[2][i]) + inputs[3][i];
        }
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                results.add(pool.submit(() -> {
                    try (AllReduce ar = new AllReduce(nodes[rank].aeron(), channels, rank, 5000, n)) {
                        ar.awaitConnected(in(10_000));
                        float[] last = null;
                        for (long step = 1; step <= 20; step++) {
                            ar.beginStep();
                            float[] x = inputs[rank].clone();
                            ar.sum(3, step, x, 0, n, in(10_000));
                            float[] y = inputs[rank].clone();
                            ar.sum(3, step, y, 0, n, in(10_000)); // a second reduce in the same step pairs up too
                            assertArrayEquals(x, y);
                            last = x;
                        }
                        float[] gathered = new float[ranks * 4];
                        ar.gather(3, 21, new float[]{rank, rank, rank, rank}, 4, gathered, in(10_000));
                        for (int p = 0; p < ranks; p++) {
                            assertEquals(p, gathered[p * 4], "all-gather places rank " + p + "'s part");
                        }
                        assertEquals(40, ar.latency().count());
                        return last;
                    }
                }));
            }
            for (Future<float[]> f : results) {
                assertArrayEquals(expected, f.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
            nodes[2].close();
            nodes[3].close();
        }
    }

    @Test
    void aBatchDescriptorOfIntsCrossesAndAFloatReceiveRefusesIt() throws Exception {
        String ch = Channels.udp("127.0.0.1", freePort());
        int id = stream++;
        try (TensorReceiver rx = new TensorReceiver(b.aeron(), ch, id);
             TensorSender tx = new TensorSender(a.aeron(), ch, id, 0)) {
            tx.awaitConnected(in(5000));
            int[] batch = {1, 15043, 7, 0, 2, 29871, 8, 1}; // token, position, slot, flags per row
            tx.sendInts(FrameKind.BATCH, 1, 1, 0, 2, 4, batch, 0, in(2000));
            int[] got = new int[8];
            assertEquals(8, rx.receiveInts(FrameKind.BATCH, 1, 1, 0, got, 0, 8, in(5000)));
            assertArrayEquals(batch, got);
            tx.sendInts(FrameKind.BATCH, 1, 2, 0, 2, 4, batch, 0, in(2000));
            TransportException e = assertThrows(TransportException.class,
                    () -> rx.receive(FrameKind.BATCH, 1, 2, 0, new float[8], 0, 8, in(5000)));
            assertEquals(TransportException.Kind.MALFORMED, e.kind());
        }
    }
}
