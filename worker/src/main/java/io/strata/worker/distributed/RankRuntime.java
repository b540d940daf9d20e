package io.strata.worker.distributed;

import io.strata.inference.Batch;
import io.strata.inference.KvCache;
import io.strata.inference.LocalModel;
import io.strata.inference.TensorParallel;
import io.strata.inference.sampling.Sampler;
import io.strata.inference.Transformer;
import io.strata.transport.AllReduce;
import io.strata.transport.FrameKind;
import io.strata.transport.TensorReceiver;
import io.strata.transport.TensorSender;
import io.strata.worker.parallel.AeronCollective;
import io.aeron.Aeron;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * What one rank of a replica runs each step, the head's and every worker's alike: its layers with its tensor-
 * parallel share, the hidden states from the previous stage or the embeddings, on to the next stage or the
 * logits. Built once; a step allocates nothing.
 */
final class RankRuntime implements AutoCloseable {
    final StageLayout layout;
    final int stage;
    final int rank;
    final Transformer transformer;
    final KvCache[] caches;
    private final LocalModel model;
    private final AeronCollective collective;
    private final AllReduce allReduce;
    private final List<TensorSender> hiddenOut = new ArrayList<>();
    private final TensorReceiver hiddenIn;
    private final TensorSender logitsOut;
    private final TensorReceiver samplingIn;
    private final Sampler[] samplers;
    private final int[] starts;
    private final int[] sampled;
    private final int context;
    final float[] logits;
    final long stepTimeoutNanos;
    private LongConsumer stepTimes = nanos -> { };

    RankRuntime(LocalModel model, StageLayout layout, int stage, int rank, Aeron aeron, int slots, int context,
                int maxBatchTokens, int threads, long stepTimeout, TimeUnit unit) {
        this.model = model;
        this.layout = layout;
        this.stage = stage;
        this.rank = rank;
        this.stepTimeoutNanos = unit.toNanos(stepTimeout);
        int vocab = model.config().vocabSize();
        int d = model.config().embeddingLength();
        if (layout.ranks() > 1) {
            this.allReduce = new AllReduce(aeron, layout.channels().get(stage), rank, StageLayout.COLLECTIVE_STREAM_BASE,
                    Math.max(maxBatchTokens * d, vocab / layout.ranks()));
            this.collective = new AeronCollective(allReduce, stepTimeout, unit);
        } else {
            this.allReduce = null;
            this.collective = null;
        }
        TensorParallel tp = collective == null ? null : new TensorParallel(rank, layout.ranks(), collective);
        this.transformer = model.newTransformer(maxBatchTokens, context, threads, tp);
        this.caches = new KvCache[slots];
        for (int s = 0; s < slots; s++) {
            caches[s] = new KvCache(model.config(), context, layout.fromLayer(stage), layout.toLayer(stage), layout.ranks());
        }
        if (!layout.isLast(stage) && rank == 0) {
            for (int r = 0; r < layout.ranks(); r++) {
                hiddenOut.add(new TensorSender(aeron, layout.channel(stage + 1, r), StageLayout.HIDDEN_STREAM, 0));
            }
        }
        this.hiddenIn = stage > 0 ? new TensorReceiver(aeron, layout.channel(stage, rank), StageLayout.HIDDEN_STREAM) : null;
        // the last stage's rank 0 samples (when it is not the head, which leaves sampling to its scheduler)
        boolean samples = layout.isLast(stage) && rank == 0 && stage > 0;
        this.logitsOut = samples ? new TensorSender(aeron, layout.channel(0, 0), StageLayout.LOGITS_STREAM, 0) : null;
        this.samplingIn = samples ? new TensorReceiver(aeron, layout.channel(stage, rank), StageLayout.SAMPLING_STREAM) : null;
        this.samplers = samples ? new Sampler[slots] : null;
        this.starts = samples ? new int[SamplingFrames.capacity(slots, context)] : null;
        this.sampled = samples ? new int[maxBatchTokens * SamplingFrames.ROW_INTS] : null;
        this.context = context;
        this.logits = new float[Math.multiplyExact(maxBatchTokens, vocab)];
    }

    /** Each step's time on this rank and each all-reduce's latency, in nanoseconds, go to these (metrics). */
    void observe(LongConsumer steps, LongConsumer allReduces) {
        this.stepTimes = steps;
        if (collective != null) {
            collective.observeSumLatency(allReduces);
        }
    }

    /** Data-plane bytes this rank has sent: hidden states, logits, all-reduce parts. */
    long bytesSent() {
        long b = allReduce == null ? 0 : allReduce.bytesSent();
        for (TensorSender s : hiddenOut) {
            b += s.bytesSent();
        }
        return b + (logitsOut == null ? 0 : logitsOut.bytesSent());
    }

    long bytesReceived() {
        return (allReduce == null ? 0 : allReduce.bytesReceived()) + (hiddenIn == null ? 0 : hiddenIn.bytesReceived())
                + (samplingIn == null ? 0 : samplingIn.bytesReceived());
    }

    /** Offers Aeron refused for back-pressure (each retried until its deadline). */
    long backPressureEvents() {
        long b = allReduce == null ? 0 : allReduce.backPressureEvents();
        for (TensorSender s : hiddenOut) {
            b += s.backPressureEvents();
        }
        return b + (logitsOut == null ? 0 : logitsOut.backPressureEvents());
    }

    /** Waits until every peer this rank sends to is connected. */
    void awaitConnected(long deadlineNanos) {
        if (allReduce != null) {
            allReduce.awaitConnected(deadlineNanos);
        }
        for (TensorSender s : hiddenOut) {
            s.awaitConnected(deadlineNanos);
        }
        if (logitsOut != null) {
            logitsOut.awaitConnected(deadlineNanos);
        }
    }

    /**
     * This rank's part of step {@code step} over {@code batch}; on the last stage the logits of the tokens that
     * want them end in {@link #logits} (rows of vocabulary-size floats), and rank 0 sends them to the head.
     */
    void run(Batch batch, long step, int logitRows) {
        long start = System.nanoTime();
        runStep(batch, step, logitRows, start + stepTimeoutNanos);
        stepTimes.accept(System.nanoTime() - start);
    }

    private void runStep(Batch batch, long step, int logitRows, long deadline) {
        long plan = layout.planVersion();
        int n = batch.size();
        int d = model.config().embeddingLength();
        if (collective != null) {
            collective.beginStep(plan, step);
        }
        if (stage == 0) {
            transformer.embed(batch);
        } else {
            hiddenIn.receive(FrameKind.HIDDEN_STATE, plan, step, 0, transformer.hidden(), 0, n * d, deadline);
        }
        transformer.layers(batch, layout.fromLayer(stage), layout.toLayer(stage));
        transformer.commit(batch);
        if (!layout.isLast(stage)) {
            for (int i = 0; i < hiddenOut.size(); i++) {
                hiddenOut.get(i).send(FrameKind.HIDDEN_STATE, plan, step, 0, n, d, transformer.hidden(), 0, deadline);
            }
            return;
        }
        transformer.head(batch, logits);
        if (samplingIn != null) {
            sample(batch, step, logitRows, deadline);
        }
    }

    /** The last stage's rank 0: each token that wants logits gets its sequence's next token, sent to the head. */
    private void sample(Batch batch, long step, int logitRows, long deadline) {
        long plan = layout.planVersion();
        int vocab = model.config().vocabSize();
        int n = samplingIn.receiveInts(FrameKind.SAMPLING, plan, step, 0, starts, 0, starts.length, deadline);
        SamplingFrames.applyStarts(starts, n, samplers, vocab, context);
        int row = 0;
        for (int i = 0; i < batch.size(); i++) {
            if (batch.wantsLogits(i)) {
                Sampler sampler = samplers[slotOf(batch.cache(i))];
                if (sampler == null) {
                    throw new IllegalStateException("step " + step + ": a sequence wants a token before it started sampling");
                }
                SamplingFrames.sampleRow(sampler, logits, row++, vocab, sampled);
            }
        }
        if (logitRows > 0) {
            logitsOut.sendInts(FrameKind.TOKENS, plan, step, 0, logitRows, SamplingFrames.ROW_INTS, sampled, 0, deadline);
        }
    }

    private int slotOf(KvCache cache) {
        for (int s = 0; s < caches.length; s++) {
            if (caches[s] == cache) {
                return s;
            }
        }
        throw new IllegalStateException("a batch token's cache is not one of this rank's slots");
    }

    @Override
    public void close() {
        hiddenOut.forEach(TensorSender::close);
        if (hiddenIn != null) {
            hiddenIn.close();
        }
        if (logitsOut != null) {
            logitsOut.close();
            samplingIn.close();
        }
        if (allReduce != null) {
            allReduce.close();
        }
        transformer.close();
    }
}
