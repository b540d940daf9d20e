package io.strata.worker.engine;

import io.strata.inference.Batch;
import io.strata.inference.KvCache;

/**
 * One engine step's arithmetic as the scheduler sees it: run a batch, get the logits of the tokens that want them.
 * In one process it is a {@link io.strata.inference.Transformer}; in a cluster the head's share of the model plus
 * the other stages and ranks, reached over Aeron. The scheduler only forms batches and samples.
 */
public interface ForwardPass extends AutoCloseable {
    /** Tokens one {@link #forward} can take. */
    int maxBatchTokens();

    /** The KV cache of scheduler slot {@code slot}, as this pass keeps it (its layers, its KV heads). */
    KvCache newCache(int slot, int capacity);

    /**
     * Runs the batch; logits row i = the i-th token that wants logits, vocabulary-size floats each (left unset
     * when {@link #sampling()} is not null: the pass chose the tokens itself).
     */
    void forward(Batch batch, float[] logits);

    /** Null when the scheduler samples the logits; else where the pass samples them (a cluster's last stage). */
    default RemoteSampling sampling() {
        return null;
    }

    @Override
    void close();
}
