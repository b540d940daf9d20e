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
import io.strata.transport.FrameKind;
import io.strata.transport.TensorReceiver;
import io.strata.transport.TensorSender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
 * PP=2 x TP=2, four ranks each with its own media driver: stage 0's two ranks run the first half of the layers
 * with their all-reduces, stage 0 rank 0 sends the hidden states to both ranks of stage 1, which run the rest and
 * all-gather the logits. Greedy tokens equal the single-node ones.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PipelineTimesTensorParallelTest {
    private static int port() throws Exception {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void twoStagesOfTwoRanksGiveTheSingleNodeTokens() throws Exception {
        try (LocalModel m = LocalModel.open(ModelLocator.fromEnvironment().locate("synth-k-Q8_0.gguf"))) {
            int vocab = m.config().vocabSize();
            int layers = m.config().layerCount();
            int split = layers / 2;
            int d = m.config().embeddingLength();
            int[] prompt = m.tokenizer().encode("Once upon a time", true, false);
            int steps = 16;
            SingleNodeReference reference = SingleNodeReference.greedy(m, prompt, steps);
            List<Integer> expected = reference.tokens();
            List<float[]> expectedLogits = reference.logits();
            // per stage, one endpoint per rank for its all-reduce; per stage-1 rank, one for hidden states
            List<List<String>> stageChannels = List.of(
                    List.of(Channels.udp("127.0.0.1", port()), Channels.udp("127.0.0.1", port())),
                    List.of(Channels.udp("127.0.0.1", port()), Channels.udp("127.0.0.1", port())));
            List<String> hiddenIn = List.of(Channels.udp("127.0.0.1", port()), Channels.udp("127.0.0.1", port()));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Double>> results = new ArrayList<>();
                for (int stage = 0; stage < 2; stage++) {
                    for (int rank = 0; rank < 2; rank++) {
                        int s = stage;
                        int r = rank;
                        results.add(pool.submit(() -> {
                            try (AeronNode node = AeronNode.launch("pp" + s + "tp" + r);
                                 AllReduce ar = new AllReduce(node.aeron(), stageChannels.get(s), r, 4000 + 100 * s, 32 * Math.max(d, vocab))) {
                                AeronCollective collective = new AeronCollective(ar, 10, TimeUnit.SECONDS);
                                ar.awaitConnected(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
                                TensorParallel tp = new TensorParallel(r, 2, collective);
                                int from = s == 0 ? 0 : split;
                                int to = s == 0 ? split : layers;
                                try (Transformer tr = m.newTransformer(32, 128, 1, tp)) {
                                    KvCache cache = new KvCache(m.config(), 128, from, to, 2);
                                    Batch batch = new Batch(32);
                                    float[] logits = new float[vocab];
                                    Sampler sampler = new Sampler(SamplingParams.greedy(), vocab);
                                    List<TensorSender> out = new ArrayList<>();
                                    TensorReceiver in = null;
                                    if (s == 0 && r == 0) {
                                        for (int p = 0; p < 2; p++) {
                                            out.add(new TensorSender(node.aeron(), hiddenIn.get(p), 77, 0));
                                        }
                                    } else if (s == 1) {
                                        in = new TensorReceiver(node.aeron(), hiddenIn.get(r), 77);
                                    }
                                    for (TensorSender o : out) {
                                        o.awaitConnected(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
                                    }
                                    int[] feed = prompt;
                                    double worst = 0;
                                    for (int step = 0; step < steps; step++) {
                                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                                        collective.beginStep(1, step);
                                        batch.clear();
                                        batch.addSequence(cache, feed, 0, feed.length, prompt.length >= 2 && step == 0);
                                        if (s == 0) {
                                            tr.embed(batch);
                                        } else {
                                            in.receive(FrameKind.HIDDEN_STATE, 1, step, 0, tr.hidden(), 0, feed.length * d, deadline);
                                        }
                                        tr.layers(batch, from, to);
                                        tr.commit(batch);
                                        for (TensorSender o : out) {
                                            o.send(FrameKind.HIDDEN_STATE, 1, step, 0, feed.length, d, tr.hidden(), 0, deadline);
                                        }
                                        // the next token: sampled on the last stage; this test feeds the reference one everywhere
                                        if (s == 1) {
                                            tr.head(batch, logits);
                                            float[] want = expectedLogits.get(step);
                                            for (int i = 0; i < vocab; i++) {
                                                worst = Math.max(worst, Math.abs(want[i] - logits[i]));
                                            }
                                            assertEquals(expected.get(step), sampler.sample(logits, 0, vocab),
                                                    "stage 1 rank " + r + ", step " + step);
                                        }
                                        feed = new int[]{expected.get(step)};
                                    }
                                    for (TensorSender o : out) {
                                        o.close();
                                    }
                                    if (in != null) {
                                        in.close();
                                    }
                                    return worst;
                                }
                            }
                        }));
                    }
                }
                for (Future<Double> f : results) {
                    assertTrue(f.get(150, TimeUnit.SECONDS) < 1e-3);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
