package io.strata.worker.distributed;

import io.aeron.Aeron;
import io.strata.inference.Batch;
import io.strata.inference.KvCache;
import io.strata.inference.LocalModel;
import io.strata.transport.FrameKind;
import io.strata.transport.TensorReceiver;
import io.strata.transport.TensorSender;
import io.strata.worker.engine.ForwardPass;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The head's forward pass (stage 0, rank 0 of a replica): each step it sends the batch to every other rank, runs
 * its own share, and takes the logits from the last stage (or computes them, when the replica has one stage). The
 * continuous-batching scheduler runs over it unchanged. A rank that does not answer within the step timeout makes
 * the step fail with a TransportException, which the scheduler reports to the step's requests.
 */
public final class HeadForwardPass implements ForwardPass {
    private final LocalModel model;
    private final RankRuntime head;
    private final List<TensorSender> batchOut = new ArrayList<>();
    private final TensorReceiver logitsIn;
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
        this.logitsIn = layout.stages() > 1
                ? new TensorReceiver(aeron, layout.channel(0, 0), StageLayout.LOGITS_STREAM) : null;
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
        int rows = StepDescriptor.logitRows(descriptor, n);
        head.run(batch, step, rows);
        int vocab = model.config().vocabSize();
        if (rows == 0) {
            return;
        }
        if (logitsIn == null) {
            System.arraycopy(head.logits, 0, logits, 0, rows * vocab);
        } else {
            logitsIn.receive(FrameKind.TOKENS, plan, step, 0, logits, 0, rows * vocab, deadline);
        }
    }

    @Override
    public void close() {
        batchOut.forEach(TensorSender::close);
        if (logitsIn != null) {
            logitsIn.close();
        }
        head.close();
    }
}
