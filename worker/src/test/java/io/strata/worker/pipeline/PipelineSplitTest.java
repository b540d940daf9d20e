package io.strata.worker.pipeline;

import io.strata.worker.SingleNodeReference;
import io.strata.inference.Batch;
import io.strata.inference.KvCache;
import io.strata.inference.LocalModel;
import io.strata.inference.Transformer;
import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.store.ModelLocator;
import io.strata.transport.AeronNode;
import io.strata.transport.Channels;
import io.strata.transport.FrameKind;
import io.strata.transport.TensorReceiver;
import io.strata.transport.TensorSender;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.DatagramSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The numerics of pipeline parallelism: a model split into two stages, each with its own transformer and a KV
 * cache for its own layers only, the hidden states crossing real Aeron media drivers over UDP loopback, gives the
 * same tokens and the same logits bits as the whole model in one piece. (The stage processes, the batch descriptor
 * on the wire and the placement are issue 5's next steps.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PipelineSplitTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.gguf", "synth-k-Q8_0.gguf"})
    void twoStagesOverUdpGiveTheSingleNodeTokensAndLogits(String name) throws Exception {
        try (LocalModel m = LocalModel.open(ModelLocator.fromEnvironment().locate(name));
             AeronNode a = AeronNode.launch("stage0");
             AeronNode b = AeronNode.launch("stage1")) {
            int layers = m.config().layerCount();
            int split = layers / 2;
            int d = m.config().embeddingLength();
            int vocab = m.config().vocabSize();
            int[] prompt = m.tokenizer().encode("Once upon a time", true, false);
            int steps = 24;

            SingleNodeReference reference = SingleNodeReference.greedy(m, prompt, steps);
            List<Integer> expected = reference.tokens();
            List<float[]> expectedLogits = reference.logits();

            int port;
            try (DatagramSocket s = new DatagramSocket(0)) {
                port = s.getLocalPort();
            }
            String channel = Channels.udp("127.0.0.1", port);
            try (Transformer s0 = m.newTransformer(32, 128); Transformer s1 = m.newTransformer(32, 128);
                 TensorReceiver rx = new TensorReceiver(b.aeron(), channel, 1);
                 TensorSender tx = new TensorSender(a.aeron(), channel, 1, 0)) {
                tx.awaitConnected(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
                KvCache c0 = new KvCache(m.config(), 128, 0, split);
                KvCache c1 = new KvCache(m.config(), 128, split, layers);
                Batch b0 = new Batch(32);
                Batch b1 = new Batch(32);
                float[] logits = new float[vocab];
                Sampler sampler = new Sampler(SamplingParams.greedy(), vocab);
                List<Integer> got = new ArrayList<>();
                int[] feed = prompt;
                for (long step = 0; step < steps; step++) {
                    b0.clear();
                    b1.clear();
                    b0.addSequence(c0, feed, 0, feed.length, prompt.length >= 2 && step == 0);
                    b1.addSequence(c1, feed, 0, feed.length, prompt.length >= 2 && step == 0);
                    s0.embed(b0);
                    s0.layers(b0, 0, split);
                    s0.commit(b0);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    tx.send(FrameKind.HIDDEN_STATE, 1, step, 0, feed.length, d, s0.hidden(), 0, deadline);
                    rx.receive(FrameKind.HIDDEN_STATE, 1, step, 0, s1.hidden(), 0, feed.length * d, deadline);
                    s1.layers(b1, split, layers);
                    s1.commit(b1);
                    s1.head(b1, logits);
                    assertArrayEquals(expectedLogits.get((int) step), logits, "logits at step " + step);
                    int token = sampler.sample(logits, 0, vocab);
                    got.add(token);
                    feed = new int[]{token};
                }
                assertEquals(expected, got);
            }
        }
    }
}
