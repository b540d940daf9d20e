package io.strata.worker.distributed;

import io.aeron.Aeron;
import io.strata.inference.Batch;
import io.strata.inference.LocalModel;
import io.strata.transport.FrameKind;
import io.strata.transport.TensorReceiver;
import io.strata.transport.TransportException;

import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A rank other than the head: waits for each step's batch from the head and runs its share of it. Steps come
 * strictly in order; waiting for the next one is idle, not an error, but once a step has begun every receive has
 * the step timeout. A failed step is logged and skipped: the head's own deadline reports it to the requests.
 */
public final class StageWorker implements Runnable, AutoCloseable, RankTelemetry {
    private static final Logger LOG = Logger.getLogger(StageWorker.class.getName());

    private final RankRuntime rank;
    private final TensorReceiver batchIn;
    private final Batch batch;
    private final int[] descriptor;
    private final long idlePollNanos = TimeUnit.MILLISECONDS.toNanos(200);
    private volatile boolean running = true;
    private long nextStep = 1;
    private long stepsRun;
    private long stepsFailed;

    public StageWorker(LocalModel model, StageLayout layout, int stage, int rankIndex, Aeron aeron, int slots,
                       int context, int maxBatchTokens, int threads, long stepTimeout, TimeUnit unit) {
        if (stage == 0 && rankIndex == 0) {
            throw new IllegalArgumentException("stage 0 rank 0 is the head: use HeadForwardPass");
        }
        this.rank = new RankRuntime(model, layout, stage, rankIndex, aeron, slots, context, maxBatchTokens, threads,
                stepTimeout, unit);
        this.batchIn = new TensorReceiver(aeron, layout.channel(stage, rankIndex), StageLayout.BATCH_STREAM);
        this.batch = new Batch(maxBatchTokens);
        this.descriptor = new int[maxBatchTokens * StepDescriptor.FIELDS];
    }

    public void awaitConnected(long timeout, TimeUnit unit) {
        rank.awaitConnected(System.nanoTime() + unit.toNanos(timeout));
    }

    public long stepsRun() { return stepsRun; }

    public long stepsFailed() { return stepsFailed; }

    @Override
    public void run() {
        long plan = rank.layout.planVersion();
        while (running) {
            int cells;
            try {
                cells = batchIn.receiveInts(FrameKind.BATCH, plan, nextStep, 0, descriptor, 0, descriptor.length,
                        System.nanoTime() + idlePollNanos);
            } catch (TransportException e) {
                if (e.kind() == TransportException.Kind.DEADLINE && e.nothingArrived()) {
                    continue; // idle: no step yet
                }
                LOG.log(Level.WARNING, "stage " + rank.stage + " rank " + rank.rank + ": bad batch for step " + nextStep, e);
                stepsFailed++;
                nextStep++;
                continue;
            }
            long step = nextStep++;
            try {
                int n = cells / StepDescriptor.FIELDS;
                StepDescriptor.decode(descriptor, n, batch, rank.caches);
                rank.run(batch, step, StepDescriptor.logitRows(descriptor, n));
                stepsRun++;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "stage " + rank.stage + " rank " + rank.rank + ": step " + step + " failed", e);
                stepsFailed++;
            }
        }
    }

    @Override
    public int stage() { return rank.stage; }

    @Override
    public int rank() { return rank.rank; }

    @Override
    public void observe(java.util.function.LongConsumer stepTimes, java.util.function.LongConsumer allReduceLatencies) {
        rank.observe(stepTimes, allReduceLatencies);
    }

    @Override
    public long bytesSent() { return rank.bytesSent(); }

    @Override
    public long bytesReceived() { return rank.bytesReceived() + batchIn.bytesReceived(); }

    @Override
    public long backPressureEvents() { return rank.backPressureEvents(); }

    @Override
    public void close() {
        running = false;
    }

    /** Frees the rank's resources; call after {@link #run} has returned. */
    public void release() {
        batchIn.close();
        rank.close();
    }
}
