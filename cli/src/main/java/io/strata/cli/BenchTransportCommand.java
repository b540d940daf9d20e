package io.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.transport.AeronNode;
import io.strata.transport.AllReduce;
import io.strata.transport.Channels;
import io.strata.transport.FrameKind;
import io.strata.transport.TensorReceiver;
import io.strata.transport.TensorSender;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.DatagramSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@code strata bench-transport}: the data plane's figures on this machine, over UDP loopback between separate
 * Aeron media drivers (one per rank, as separate processes would have): all-reduce latency of one hidden vector and
 * the throughput of a prefill-sized hidden-state transfer.
 */
@Command(name = "bench-transport", description = "Measure Aeron all-reduce latency and hidden-state throughput over UDP loopback.")
final class BenchTransportCommand implements Callable<Integer> {
    @Option(names = "--floats", description = "Floats per all-reduce (one token's hidden state). Default: ${DEFAULT-VALUE}.")
    int floats = 2048;

    @Option(names = "--ranks", description = "Ranks in the all-reduce. Default: ${DEFAULT-VALUE}.")
    int ranks = 2;

    @Option(names = "--iterations", description = "Timed all-reduces. Default: ${DEFAULT-VALUE}.")
    int iterations = 2000;

    @Option(names = "--transfer-rows", description = "Rows x floats of the hidden-state transfer. Default: ${DEFAULT-VALUE}.")
    int transferRows = 512;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<AeronNode> nodes = new ArrayList<>();
        try {
            List<String> channels = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                nodes.add(AeronNode.launch("bench-rank" + r));
                channels.add(Channels.udp("127.0.0.1", freePort()));
            }
            long[] latency = allReduce(nodes, channels);
            double gbps = transfer(nodes.get(0), nodes.get(1));
            ObjectNode out = new ObjectMapper().createObjectNode();
            out.put("ranks", ranks);
            out.put("floats", floats);
            out.put("iterations", iterations);
            out.put("all_reduce_p50_us", latency[0] / 1000.0);
            out.put("all_reduce_p99_us", latency[1] / 1000.0);
            out.put("transfer_bytes", 4L * transferRows * floats);
            out.put("transfer_gb_per_s", Math.round(gbps * 1000) / 1000.0);
            if (json) {
                System.out.println(new ObjectMapper().writeValueAsString(out));
            } else {
                System.out.printf(Locale.ROOT, "all-reduce of %d floats over %d ranks (UDP loopback): p50 %.1f us, p99 %.1f us%n",
                        floats, ranks, latency[0] / 1000.0, latency[1] / 1000.0);
                System.out.printf(Locale.ROOT, "hidden-state transfer of %d x %d floats (%.1f MiB): %.3f GB/s%n",
                        transferRows, floats, 4.0 * transferRows * floats / (1 << 20), gbps);
            }
            return 0;
        } finally {
            nodes.forEach(AeronNode::close);
        }
    }

    private long[] allReduce(List<AeronNode> nodes, List<String> channels) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        try {
            List<Future<long[]>> fs = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                fs.add(pool.submit(() -> {
                    try (AllReduce ar = new AllReduce(nodes.get(rank).aeron(), channels, rank, 7000, floats)) {
                        ar.awaitConnected(deadline(10_000));
                        float[] x = new float[floats];
                        int warmup = Math.min(500, iterations);
                        for (int i = 0; i < warmup + iterations; i++) {
                            if (i == warmup) {
                                ar.latency().reset();
                            }
                            ar.beginStep();
                            ar.sum(1, i, x, 0, floats, deadline(10_000));
                        }
                        return new long[]{ar.latency().percentile(50), ar.latency().percentile(99)};
                    }
                }));
            }
            long[] rank0 = null;
            for (Future<long[]> f : fs) {
                long[] v = f.get(5, TimeUnit.MINUTES);
                rank0 = rank0 == null ? v : rank0;
            }
            return rank0;
        } finally {
            pool.shutdownNow();
        }
    }

    private double transfer(AeronNode from, AeronNode to) throws Exception {
        String ch = Channels.udp("127.0.0.1", freePort());
        int n = transferRows * floats;
        float[] data = new float[n];
        float[] got = new float[n];
        try (TensorReceiver rx = new TensorReceiver(to.aeron(), ch, 9001);
             TensorSender tx = new TensorSender(from.aeron(), ch, 9001, 0)) {
            tx.awaitConnected(deadline(10_000));
            int rounds = 20;
            Thread sender = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < rounds + 2; i++) {
                    tx.send(FrameKind.HIDDEN_STATE, 1, i, 0, transferRows, floats, data, 0, deadline(30_000));
                }
            });
            rx.receive(FrameKind.HIDDEN_STATE, 1, 0, 0, got, 0, n, deadline(30_000));
            rx.receive(FrameKind.HIDDEN_STATE, 1, 1, 0, got, 0, n, deadline(30_000));
            long start = System.nanoTime();
            for (int i = 2; i < rounds + 2; i++) {
                rx.receive(FrameKind.HIDDEN_STATE, 1, i, 0, got, 0, n, deadline(30_000));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            sender.join();
            return 4.0 * n * rounds / seconds / 1e9;
        }
    }

    private static long deadline(long millis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private static int freePort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }
}
