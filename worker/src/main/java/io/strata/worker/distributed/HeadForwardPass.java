package io.strata.worker.distributed;

import io.aeron.Aeron;
import io.strata.inference.Batch;
import io.strata.inference.KvCache;
import io.strata.inference.LocalModel;
import io.strata.transport.FrameKind;
import io.strata.transport.TensorReceiver;
import io.strata.transport.TensorSender;
import io.strata.inference.sampling.SamplingParams;
import io.strata.worker.engine.ForwardPass;
import io.strata.worker.engine.RemoteSampling;
import io.strata.worker.engine.TokenChoice;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The head's forward pass (stage 0, rank 0 of a replica): each step it sends the batch to every other rank, runs
 * its own share, and takes the sampled tokens from the last stage (or computes the logits, when the replica has one
 * stage, and the scheduler samples them). With more than one stage it is the scheduler's {@link RemoteSampling}:
 * the sequences that start sampling go to the last stage with each step's batch, and only token ids and
 * log-probabilities come back, never logit vectors. A rank that does not answer within the step timeout makes
 * the step fail with a TransportException, which the scheduler reports to the step's requests.
 */
public final class HeadForwardPass implements ForwardPass, RankTelemetry, RemoteSampling {
    private final LocalModel model;
    private final RankRuntime head;
    private final List<TensorSender> batchOut = new ArrayList<>();
    private final TensorReceiver logitsIn;
    private final TensorSender samplingOut;
    private final int[] starts;
    private int startsEnd = 1;
    private final int[] sampled;
    private final IdentityHashMap<KvCache, Integer> slotOf = new IdentityHashMap<>();
    private final int[] descriptor;
    private final int maxBatchTokens;
    private long step;

    public HeadForwardPass(LocalModel model, StageLayout layout, Aeron aeron, int slots, int context,
                           int maxBatchTokens, int threads, long stepTimeout, TimeUnit unit) {
        this.model = model;
        this.maxBatchTokens = maxBatchTokens;
        this.head = new RankRuntime(model, layout, 0, 0, aeron, slots, context, maxBatchTokens, threads, stepTimeout, unit);
        for (int s = 0; s < layout.stages(); s++) {
            for (int r = 0; r < layout.ranks(); r++) {
                if (s != 0 || r != 0) {
                    batchOut.add(new TensorSender(aeron, layout.channel(s, r), StageLayout.BATCH_STREAM, 0));
                }
            }
        }
        boolean remote = layout.stages() > 1;
        this.logitsIn = remote ? new TensorReceiver(aeron, layout.channel(0, 0), StageLayout.LOGITS_STREAM) : null;
        this.samplingOut = remote ? new TensorSender(aeron, layout.channel(layout.stages() - 1, 0),
                StageLayout.SAMPLING_STREAM, 0) : null;
        this.starts = remote ? new int[SamplingFrames.capacity(slots, context)] : null;
        this.sampled = remote ? new int[maxBatchTokens * SamplingFrames.ROW_INTS] : null;
        this.descriptor = new int[maxBatchTokens * StepDescriptor.FIELDS];
        for (int s = 0; s < slots; s++) {
            slotOf.put(head.caches[s], s);
        }
    }

    /** Waits until every other rank listens (call before the first step). */
    public void awaitConnected(long timeout, TimeUnit unit) {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (TensorSender s : batchOut) {
            s.awaitConnected(deadline);
        }
        if (samplingOut != null) {
            samplingOut.awaitConnected(deadline);
        }
        head.awaitConnected(deadline);
    }

    @Override
    public int maxBatchTokens() { return maxBatchTokens; }

    @Override
    public KvCache newCache(int slot, int capacity) {
        if (slot < 0 || slot >= head.caches.length || capacity != head.caches[slot].capacity()) {
            throw new IllegalArgumentException("slot " + slot + " of capacity " + capacity + " is not one of this pass's "
                    + head.caches.length + " slots of " + head.caches[0].capacity());
        }
        return head.caches[slot];
    }

    @Override
    public void forward(Batch batch, float[] logits) {
        step++;
        long deadline = System.nanoTime() + head.stepTimeoutNanos;
        long plan = head.layout.planVersion();
        int n = StepDescriptor.encode(batch, slotOf, descriptor);
        for (int i = 0; i < batchOut.size(); i++) {
            batchOut.get(i).sendInts(FrameKind.BATCH, plan, step, 0, n, StepDescriptor.FIELDS, descriptor, 0, deadline);
        }
        if (samplingOut != null) {
            samplingOut.sendInts(FrameKind.SAMPLING, plan, step, 0, 1, startsEnd, starts, 0, deadline);
            starts[0] = 0;
            startsEnd = 1;
        }
        int rows = StepDescriptor.logitRows(descriptor, n);
        head.run(batch, step, rows);
        int vocab = model.config().vocabSize();
        if (rows == 0) {
            return;
        }
        if (logitsIn == null) {
            System.arraycopy(head.logits, 0, logits, 0, rows * vocab);
        } else {
            logitsIn.receiveInts(FrameKind.TOKENS, plan, step, 0, sampled, 0, rows * SamplingFrames.ROW_INTS, deadline);
        }
    }

    @Override
    public RemoteSampling sampling() {
        return samplingOut == null ? null : this;
    }

    @Override
    public void begin(int slot, SamplingParams params, int[] prompt) {
        startsEnd = SamplingFrames.appendStart(starts, startsEnd, slot, params, prompt);
    }

    @Override
    public int token(int row) {
        return SamplingFrames.token(sampled, row);
    }

    @Override
    public TokenChoice choice(int row) {
        return SamplingFrames.choice(sampled, row);
    }

    @Override
    public int stage() { return head.stage; }

    @Override
    public int rank() { return head.rank; }

    @Override
    public void observe(java.util.function.LongConsumer stepTimes, java.util.function.LongConsumer allReduceLatencies) {
        head.observe(stepTimes, allReduceLatencies);
    }

    @Override
    public long bytesSent() {
        long b = head.bytesSent() + (samplingOut == null ? 0 : samplingOut.bytesSent());
        for (TensorSender s : batchOut) {
            b += s.bytesSent();
        }
        return b;
    }

    @Override
    public long bytesReceived() {
        return head.bytesReceived() + (logitsIn == null ? 0 : logitsIn.bytesReceived());
    }

    @Override
    public long backPressureEvents() {
        long b = head.backPressureEvents();
        for (TensorSender s : batchOut) {
            b += s.backPressureEvents();
        }
        return b;
    }

    @Override
    public void close() {
        batchOut.forEach(TensorSender::close);
        if (logitsIn != null) {
            logitsIn.close();
            samplingOut.close();
        }
        head.close();
    }
}
