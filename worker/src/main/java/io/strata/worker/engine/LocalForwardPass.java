package io.strata.worker.engine;

import io.strata.inference.Batch;
import io.strata.inference.KvCache;
import io.strata.inference.LocalModel;
import io.strata.inference.Transformer;

/** The whole model in this process. */
public final class LocalForwardPass implements ForwardPass {
    private final LocalModel model;
    private final Transformer transformer;

    public LocalForwardPass(LocalModel model, int maxBatchTokens, int context, int threads) {
        this.model = model;
        this.transformer = new Transformer(model.config(), model.weights(), maxBatchTokens, context, threads);
    }

    @Override
    public int maxBatchTokens() { return transformer.maxBatchTokens(); }

    @Override
    public KvCache newCache(int slot, int capacity) {
        return new KvCache(model.config(), capacity);
    }

    @Override
    public void forward(Batch batch, float[] logits) {
        transformer.forward(batch, logits);
    }

    @Override
    public void close() {
        transformer.close();
    }
}
