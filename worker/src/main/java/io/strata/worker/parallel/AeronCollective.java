package io.strata.worker.parallel;

import io.strata.inference.TensorParallel;
import io.strata.transport.AllReduce;

import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The forward pass's collectives carried by Aeron: each {@link #beginStep} starts a step of the plan, and every sum
 * or gather in it is the step's next operation, paired with the same operation on the other ranks. Each has a
 * deadline; a rank that stops answering makes the step fail with a TransportException, never hang.
 */
public final class AeronCollective implements TensorParallel.Collective {
    private final AllReduce allReduce;
    private final long timeoutNanos;
    private long planVersion;
    private long step;
    private LongConsumer sumLatency = nanos -> { };

    public AeronCollective(AllReduce allReduce, long timeout, TimeUnit unit) {
        this.allReduce = allReduce;
        this.timeoutNanos = unit.toNanos(timeout);
    }

    public void beginStep(long planVersion, long step) {
        this.planVersion = planVersion;
        this.step = step;
        allReduce.beginStep();
    }

    /** Each all-reduce's latency in nanoseconds goes to {@code observer} (metrics); set before the first step. */
    public void observeSumLatency(LongConsumer observer) {
        this.sumLatency = observer;
    }

    @Override
    public void sum(float[] data, int offset, int n) {
        long start = System.nanoTime();
        allReduce.sum(planVersion, step, data, offset, n, start + timeoutNanos);
        sumLatency.accept(System.nanoTime() - start);
    }

    @Override
    public void gather(float[] part, int partOffset, int n, float[] out, int outOffset) {
        allReduce.gather(planVersion, step, part, partOffset, n, out, outOffset, System.nanoTime() + timeoutNanos);
    }

    public AllReduce allReduce() { return allReduce; }
}
