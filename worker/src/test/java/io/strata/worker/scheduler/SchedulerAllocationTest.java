package io.strata.worker.scheduler;

import io.strata.inference.LocalModel;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.store.ModelLocator;
import io.strata.worker.engine.FinishReason;
import io.strata.worker.engine.GenerationListener;
import io.strata.worker.engine.GenerationRequest;
import io.strata.worker.engine.TokenChoice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's step loop allocates nothing per token once a sequence is decoding. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SchedulerAllocationTest {
    @Test
    void decodeStepsOfTheSchedulerThreadAllocateNothing() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (LocalModel m = LocalModel.open(ModelLocator.fromEnvironment().locate("stories260K.gguf"));
             ContinuousBatchScheduler s = new ContinuousBatchScheduler(m, new SchedulerConfig(2, 512, 32, 4, 1))) {
            long[] at = new long[2];
            CompletableFuture<Void> done = new CompletableFuture<>();
            GenerationListener listener = new GenerationListener() {
                int tokens;

                @Override public void onScheduled(long queueNanos) { }

                @Override public void onToken(int token, TokenChoice logprobs) {
                    tokens++;
                    if (tokens == 100) {
                        at[0] = mx.getCurrentThreadAllocatedBytes();
                    } else if (tokens == 400) {
                        at[1] = mx.getCurrentThreadAllocatedBytes();
                    }
                }

                @Override public void onFinished(FinishReason reason, int promptTokens, int generatedTokens) { done.complete(null); }

                @Override public void onFailed(String message) { done.completeExceptionally(new AssertionError(message)); }
            };
            int[] prompt = m.tokenizer().encode("Once upon a time", true, false);
            // the warm-up request compiles the loop; the measured one ignores EOS so it runs its 450 tokens
            GenerationListener quiet = new GenerationListener() {
                @Override public void onScheduled(long q) { }
                @Override public void onToken(int t, TokenChoice l) { }
                @Override public void onFinished(FinishReason r, int p, int g) { }
                @Override public void onFailed(String msg) { }
            };
            s.submit(new GenerationRequest("warm-up", prompt, SamplingParams.greedy(), 300, true), quiet);
            s.submit(new GenerationRequest("measured", prompt, SamplingParams.greedy(), 450, true), listener);
            done.get(90, TimeUnit.SECONDS);
            long perStep = (at[1] - at[0]) / 300;
            assertTrue(perStep < 16, "the scheduler thread allocated " + (at[1] - at[0]) + " bytes over 300 decode steps");
        }
    }
}
