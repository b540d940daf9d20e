package io.strata.inference.sampling;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token loop (sample + accept) must not allocate: it runs once per token per sequence. */
class SamplerAllocationTest {
    private static final int VOCABULARY = 4096;
    private static final int WARM_UP_CALLS = 3_000;
    private static final int MEASURED_CALLS = 10_000;
    /** Slack for the measurement itself; the loop's own share must be zero, this is not per-call budget. */
    private static final long SLACK_BYTES = 2_048;

    static Stream<SamplingParams> chains() {
        return Stream.of(
                SamplingParams.defaults().withSeed(1),                                     // top-k path
                SamplingParams.defaults().withSeed(2).withoutTruncation().withMinP(0.05f), // unsorted min-p + full sort
                SamplingParams.defaults().withSeed(3).withTopK(0).withPenalties(1.1f, 0.2f, 0.1f, 64), // sort all
                SamplingParams.defaults().withSeed(4).withLogprobs(5),
                SamplingParams.greedy().withLogprobs(SamplingParams.MAX_LOGPROBS));
    }

    @ParameterizedTest
    @MethodSource("chains")
    void samplingLoopDoesNotAllocate(final SamplingParams params) {
        final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final Sampler sampler = new Sampler(params, VOCABULARY);
        final float[][] rows = new float[8][VOCABULARY];
        final Random random = new Random(11);
        for (final float[] row : rows) {
            for (int i = 0; i < VOCABULARY; i++) {
                row[i] = (float) (random.nextGaussian() * 4);
            }
        }
        loop(sampler, rows, WARM_UP_CALLS);

        final long before = threads.getCurrentThreadAllocatedBytes();
        final long checksum = loop(sampler, rows, MEASURED_CALLS);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertTrue(allocated <= SLACK_BYTES, allocated + " bytes allocated in " + MEASURED_CALLS
                + " calls (checksum " + checksum + ")");
    }

    private static long loop(final Sampler sampler, final float[][] rows, final int calls) {
        long checksum = 0;
        for (int i = 0; i < calls; i++) {
            final int token = sampler.sample(rows[i % rows.length], 0, VOCABULARY);
            sampler.accept(token);
            checksum += token + sampler.logprobs().topCount();
        }
        return checksum;
    }
}
