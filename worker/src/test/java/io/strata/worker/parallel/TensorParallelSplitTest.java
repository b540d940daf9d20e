package io.strata.worker.parallel;

import io.strata.worker.SingleNodeReference;
import io.strata.inference.Batch;
import io.strata.inference.KvCache;
import io.strata.inference.LocalModel;
import io.strata.inference.TensorParallel;
import io.strata.inference.Transformer;
import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.store.ModelLocator;
import io.strata.transport.AeronNode;
import io.strata.transport.AllReduce;
import io.strata.transport.Channels;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.DatagramSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The numerics of tensor parallelism: each rank a transformer over its slices of the weights (views of one
 * mapping) and a KV cache of its own KV heads, the row-parallel partial sums all-reduced and the vocabulary slices
 * of the logits all-gathered over real Aeron media drivers (one per rank, UDP loopback). Greedy tokens equal the
 * single-node ones; logits agree within 1e-3 (the partial sums add in another order than one whole dot product).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TensorParallelSplitTest {

    @ParameterizedTest(name = "{0}, TP={1}")
    @CsvSource({"stories260K.gguf,2", "synth-k-Q8_0.gguf,2", "synth-k-Q8_0.gguf,4"})
    void ranksOverUdpGiveTheSingleNodeTokensAndLogitsWithin1e3(String name, int ranks) throws Exception {
        try (LocalModel m = LocalModel.open(ModelLocator.fromEnvironment().locate(name))) {
            int vocab = m.config().vocabSize();
            int[] prompt = m.tokenizer().encode("Once upon a time", true, false);
            int steps = 24;
            SingleNodeReference reference = SingleNodeReference.greedy(m, prompt, steps);
            List<Integer> expected = reference.tokens();
            List<float[]> expectedLogits = reference.logits();
            List<String> channels = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                try (DatagramSocket s = new DatagramSocket(0)) {
                    channels.add(Channels.udp("127.0.0.1", s.getLocalPort()));
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(ranks);
            try {
                List<Future<double[]>> results = new ArrayList<>();
                for (int r = 0; r < ranks; r++) {
                    int rank = r;
                    results.add(pool.submit(() -> rank(m, channels, rank, ranks, prompt, steps, expected, expectedLogits)));
                }
                for (Future<double[]> f : results) {
                    double[] worst = f.get(120, TimeUnit.SECONDS);
                    System.out.printf("%s TP=%d: greedy equal over %d steps, largest logit difference %.2e%n",
                            name, ranks, steps, worst[0]);
                    assertTrue(worst[0] < 1e-3, "largest logit difference " + worst[0]);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** One rank's greedy decode; returns the largest logit difference from the single-node run. */
    private static double[] rank(LocalModel m, List<String> channels, int rank, int ranks, int[] prompt, int steps,
                                 List<Integer> expected, List<float[]> expectedLogits) {
        int vocab = m.config().vocabSize();
        try (AeronNode node = AeronNode.launch("tp-rank" + rank);
             AllReduce ar = new AllReduce(node.aeron(), channels, rank, 3000, 32 * Math.max(m.config().embeddingLength(), vocab))) {
            AeronCollective collective = new AeronCollective(ar, 10, TimeUnit.SECONDS);
            ar.awaitConnected(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
            TensorParallel tp = new TensorParallel(rank, ranks, collective);
            try (Transformer tr = m.newTransformer(32, 128, 1, tp)) {
                KvCache cache = new KvCache(m.config(), 128, 0, m.config().layerCount(), ranks);
                Batch batch = new Batch(32);
                float[] logits = new float[vocab];
                Sampler sampler = new Sampler(SamplingParams.greedy(), vocab);
                int[] feed = prompt;
                double worst = 0;
                for (int step = 0; step < steps; step++) {
                    collective.beginStep(1, step);
                    batch.clear();
                    batch.addSequence(cache, feed, 0, feed.length, prompt.length >= 2 && step == 0);
                    tr.forward(batch, logits);
                    float[] want = expectedLogits.get(step);
                    for (int i = 0; i < vocab; i++) {
                        worst = Math.max(worst, Math.abs(want[i] - logits[i]));
                    }
                    int token = sampler.sample(logits, 0, vocab);
                    assertEquals(expected.get(step), token, "rank " + rank + ", step " + step);
                    feed = new int[]{token};
                }
                return new double[]{worst};
            }
        }
    }
}
