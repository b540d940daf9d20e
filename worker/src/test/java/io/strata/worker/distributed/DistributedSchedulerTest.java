package io.strata.worker.distributed;

import io.strata.inference.Generator;
import io.strata.inference.LocalModel;
import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.store.ModelLocator;
import io.strata.transport.AeronNode;
import io.strata.transport.Channels;
import io.strata.worker.engine.FinishReason;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.TokenChoice;
import io.strata.worker.scheduler.ContinuousBatchScheduler;
import io.strata.worker.scheduler.SchedulerConfig;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.DatagramSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The continuous-batching scheduler over a replica split into stages and ranks, each rank with its own media
 * driver on UDP loopback (the processes of a cluster, in one JVM): several requests at once, each returning the
 * greedy tokens of the whole model in one process.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DistributedSchedulerTest {
    private static final String[] PROMPTS = {"Once upon a time", "The little dog", "Lily wanted to", "One day, a big",
            "Tom and Sue went", "The sun was"};

    /** Seeded sampling with every stage of the chain and log-probabilities: the last stage must draw as one process does. */
    private static final SamplingParams SEEDED = new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1.1f, 0.1f, 0.1f, 64, 42, 3);

    @ParameterizedTest(name = "{0} PP={1} TP={2} seeded={3}")
    @CsvSource({"stories260K.gguf,2,1,false", "stories260K.gguf,1,2,false", "synth-k-Q8_0.gguf,2,2,false",
            "stories260K.gguf,2,1,true", "synth-k-Q8_0.gguf,2,2,true"})
    void requestsThroughAReplicaOfStagesAndRanksReturnTheSingleNodeTokens(String name, int stages, int ranks,
                                                                         boolean seeded) throws Exception {
        SamplingParams params = seeded ? SEEDED : SamplingParams.greedy();
        try (LocalModel m = LocalModel.open(ModelLocator.fromEnvironment().locate(name))) {
            int vocab = m.config().vocabSize();
            int steps = 20;
            List<int[]> expected = new ArrayList<>();
            for (String p : PROMPTS) {
                List<Integer> out = new ArrayList<>();
                try (Generator g = new Generator(m, 128, 16)) {
                    g.generate(m.tokenizer().encode(p, true, false), new Sampler(params, vocab), steps, out::add);
                }
                expected.add(out.stream().mapToInt(Integer::intValue).toArray());
            }
            List<List<String>> channels = new ArrayList<>();
            for (int s = 0; s < stages; s++) {
                List<String> stage = new ArrayList<>();
                for (int r = 0; r < ranks; r++) {
                    try (DatagramSocket sock = new DatagramSocket(0)) {
                        stage.add(Channels.udp("127.0.0.1", sock.getLocalPort()));
                    }
                }
                channels.add(stage);
            }
            StageLayout layout = new StageLayout(7, stages, ranks, StageLayout.evenSplit(m.config().layerCount(), stages), channels);
            int slots = 4;
            int ctx = 128;
            int budget = 16;
            List<AeronNode> nodes = new ArrayList<>();
            List<StageWorker> workers = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            try {
                for (int s = 0; s < stages; s++) {
                    for (int r = 0; r < ranks; r++) {
                        if (s == 0 && r == 0) {
                            continue;
                        }
                        AeronNode node = AeronNode.launch("rank-" + s + "-" + r);
                        nodes.add(node);
                        StageWorker w = new StageWorker(m, layout, s, r, node.aeron(), slots, ctx, budget, 1, 10, TimeUnit.SECONDS);
                        workers.add(w);
                    }
                }
                AeronNode headNode = AeronNode.launch("head");
                nodes.add(headNode);
                HeadForwardPass head = new HeadForwardPass(m, layout, headNode.aeron(), slots, ctx, budget, 1, 10, TimeUnit.SECONDS);
                for (StageWorker w : workers) {
                    threads.add(Thread.ofPlatform().name("stage-worker").start(w));
                }
                head.awaitConnected(20, TimeUnit.SECONDS);
                for (StageWorker w : workers) {
                    w.awaitConnected(20, TimeUnit.SECONDS);
                }
                try (ContinuousBatchScheduler scheduler = new ContinuousBatchScheduler(m,
                        new SchedulerConfig(slots, ctx, budget, 16, 1), head)) {
                    List<CompletableFuture<int[]>> results = new ArrayList<>();
                    for (int i = 0; i < PROMPTS.length; i++) {
                        CompletableFuture<int[]> done = new CompletableFuture<>();
                        List<Integer> tokens = new CopyOnWriteArrayList<>();
                        scheduler.submit(new GenerationRequest("r" + i, m.tokenizer().encode(PROMPTS[i], true, false),
                                params, steps), new GenerationListener() {
                            @Override public void onScheduled(long q) { }

                            @Override public void onToken(int token, TokenChoice lp) {
                                if (seeded && (lp == null || lp.token() != token || lp.topTokens().length != 3)) {
                                    done.completeExceptionally(new AssertionError("log-probabilities " + lp + " for " + token));
                                }
                                tokens.add(token);
                            }

                            @Override public void onFinished(FinishReason why, int p, int g) {
                                done.complete(tokens.stream().mapToInt(Integer::intValue).toArray());
                            }

                            @Override public void onFailed(String message) { done.completeExceptionally(new AssertionError(message)); }
                        });
                        results.add(done);
                    }
                    for (int i = 0; i < PROMPTS.length; i++) {
                        assertEquals(java.util.Arrays.toString(expected.get(i)),
                                java.util.Arrays.toString(results.get(i).get(120, TimeUnit.SECONDS)), "request " + i);
                    }
                }
            } finally {
                workers.forEach(StageWorker::close);
                for (Thread t : threads) {
                    t.join(5000);
                }
                workers.forEach(StageWorker::release);
                nodes.forEach(AeronNode::close);
            }
        }
    }
}
