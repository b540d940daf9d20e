package io.strata.worker.scheduler;

import io.strata.inference.Generator;
import io.strata.inference.LocalModel;
import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.store.ModelLocator;
import io.strata.worker.engine.EngineOverloadedException;
import io.strata.worker.engine.FinishReason;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.Submission;
import io.strata.worker.engine.TokenChoice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ContinuousBatchSchedulerTest {
    private static final String[] PROMPTS = {
            "Once upon a time", "The little dog", "Lily wanted to", "One day, a big", "Tom and Sue went",
            "The sun was", "A girl named", "In the park", "The cat sat on the mat and", "Mom said",
            "There was a tree", "Ben liked to play with his red ball in the garden because"};

    /** Collects one request's events. */
    static class Collector implements GenerationListener {
        final List<Integer> tokens = new CopyOnWriteArrayList<>();
        final CompletableFuture<FinishReason> done = new CompletableFuture<>();
        volatile String failure;

        @Override public void onScheduled(long queueNanos) { }

        @Override public void onToken(int token, TokenChoice logprobs) { tokens.add(token); }

        @Override public void onFinished(FinishReason reason, int promptTokens, int generatedTokens) { done.complete(reason); }

        @Override public void onFailed(String message) { failure = message; done.complete(null); }

        int[] ids() { return tokens.stream().mapToInt(Integer::intValue).toArray(); }
    }

    private static LocalModel open(String name) {
        return LocalModel.open(ModelLocator.fromEnvironment().locate(name));
    }

    private static int[] alone(LocalModel m, int[] prompt, int maxTokens) {
        try (Generator g = new Generator(m, 256, 256)) {
            List<Integer> out = new ArrayList<>();
            g.generate(prompt, new Sampler(SamplingParams.greedy(), m.config().vocabSize()), maxTokens, t -> out.add(t));
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.gguf", "synth-k-Q8_0.gguf", "stories260K-F16.gguf"})
    void greedyRequestsRunTogetherReturnTheTokensEachReturnsAlone(String modelName) throws Exception {
        try (LocalModel m = open(modelName)) {
            int[][] prompts = new int[PROMPTS.length][];
            int[][] expected = new int[PROMPTS.length][];
            for (int i = 0; i < PROMPTS.length; i++) {
                prompts[i] = m.tokenizer().encode(PROMPTS[i], true, false);
                expected[i] = alone(m, prompts[i], 40);
            }
            // 4 slots for 12 requests (a queue), a budget of 8 tokens (prompts prefilled in chunks among decodes)
            try (ContinuousBatchScheduler s = new ContinuousBatchScheduler(m, new SchedulerConfig(4, 256, 8, 64, 2))) {
                Collector[] c = new Collector[PROMPTS.length];
                for (int i = 0; i < PROMPTS.length; i++) {
                    c[i] = new Collector();
                    s.submit(new GenerationRequest("r" + i, prompts[i], SamplingParams.greedy(), 40), c[i]);
                }
                for (int i = 0; i < PROMPTS.length; i++) {
                    c[i].done.get(60, TimeUnit.SECONDS);
                    assertArrayEquals(expected[i], c[i].ids(), "request " + i + " (" + PROMPTS[i] + ")");
                }
            }
        }
    }

    @Test
    void aRepeatedPromptReusesItsCachedPrefixAndReturnsTheSameTokens() throws Exception {
        try (LocalModel m = open("stories260K.gguf");
             ContinuousBatchScheduler s = new ContinuousBatchScheduler(m, new SchedulerConfig(1, 256, 64, 8, 2))) {
            int[] p = m.tokenizer().encode("Once upon a time there was a little girl", true, false);
            int[] p2 = m.tokenizer().encode("Once upon a time there was a big bear", true, false);
            int[][] runs = new int[4][];
            int[][] prompts = {p, p, p2, p};
            for (int i = 0; i < runs.length; i++) {
                Collector c = new Collector();
                s.submit(new GenerationRequest("r" + i, prompts[i], SamplingParams.greedy(), 30), c);
                c.done.get(30, TimeUnit.SECONDS);
                runs[i] = c.ids();
            }
            assertArrayEquals(alone(m, p, 30), runs[0]);
            assertArrayEquals(runs[0], runs[1]);
            assertArrayEquals(alone(m, p2, 30), runs[2]);
            assertArrayEquals(runs[0], runs[3]);
        }
    }

    @Test
    void aCancelledRequestFinishesAsCancelledAndFreesItsSlot() throws Exception {
        try (LocalModel m = open("stories260K.gguf");
             ContinuousBatchScheduler s = new ContinuousBatchScheduler(m, new SchedulerConfig(1, 512, 64, 8, 1))) {
            CountDownLatch firstToken = new CountDownLatch(1);
            Collector c = new Collector() {
                @Override public void onToken(int token, TokenChoice logprobs) {
                    super.onToken(token, logprobs);
                    firstToken.countDown();
                }
            };
            int[] p = m.tokenizer().encode("Once upon a time", true, false);
            SamplingParams noEos = SamplingParams.defaults().withSeed(7);
            Submission sub = s.submit(new GenerationRequest("long", p, noEos, 500), c);
            assertTrue(firstToken.await(10, TimeUnit.SECONDS));
            sub.cancel();
            assertEquals(FinishReason.CANCELLED, c.done.get(10, TimeUnit.SECONDS));
            assertTrue(c.tokens.size() < 500);
            // the one slot is free again: the next request runs
            Collector next = new Collector();
            s.submit(new GenerationRequest("next", p, SamplingParams.greedy(), 5), next);
            assertEquals(FinishReason.LENGTH, next.done.get(10, TimeUnit.SECONDS));
            assertEquals(0, s.stats().running());
            assertEquals(0.0, s.stats().kvCacheUsage());
        }
    }

    @Test
    void aFullQueueRefusesNewRequests() throws Exception {
        try (LocalModel m = open("stories260K.gguf");
             ContinuousBatchScheduler s = new ContinuousBatchScheduler(m, new SchedulerConfig(1, 512, 64, 2, 1))) {
            int[] p = m.tokenizer().encode("Once upon a time", true, false);
            List<Submission> subs = new ArrayList<>();
            List<Collector> cs = new ArrayList<>();
            EngineOverloadedException refused = null;
            for (int i = 0; i < 10 && refused == null; i++) {
                Collector c = new Collector();
                try {
                    subs.add(s.submit(new GenerationRequest("r" + i, p, SamplingParams.defaults().withSeed(i), 400), c));
                    cs.add(c);
                } catch (EngineOverloadedException e) {
                    refused = e;
                }
            }
            assertTrue(refused != null, "a queue of 2 behind 1 slot must refuse within 10 requests");
            assertTrue(refused.getMessage().contains("queue is full"), refused.getMessage());
            subs.forEach(Submission::cancel);
            for (Collector c : cs) {
                c.done.get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aPromptThatFillsTheContextIsRefusedWithBothNumbers() {
        try (LocalModel m = open("stories260K.gguf");
             ContinuousBatchScheduler s = new ContinuousBatchScheduler(m, new SchedulerConfig(1, 8, 8, 2, 1))) {
            int[] p = m.tokenizer().encode("Once upon a time there was a little girl named Lily", true, false);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.submit(new GenerationRequest("x", p, SamplingParams.greedy(), 4), new Collector()));
            assertTrue(e.getMessage().contains(p.length + " tokens") && e.getMessage().contains("8"), e.getMessage());
        }
    }
}
