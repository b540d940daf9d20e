package io.strata.inference;

import io.strata.kernels.WeightMatrix;
import io.strata.kernels.cpu.Activations;
import io.strata.kernels.cpu.Dequantize;
import io.strata.kernels.cpu.MatMul;
import io.strata.kernels.cpu.Ops;
import io.strata.kernels.cpu.Rope;
import io.strata.kernels.cpu.ThreadTeam;
import io.strata.model.arch.ModelConfig;

/**
 * The forward pass of a llama-family decoder (llama, qwen2, qwen3) over a {@link Batch}: every token of every
 * sequence goes through the layers together, so each weight matrix is streamed once per step for the whole batch.
 * Read it top to bottom as the math of formats.md 4.3; kernels are named after the operation they compute.
 *
 * <p>Not thread-safe: one instance owns its scratch buffers, sized for {@code maxBatchTokens} tokens and
 * {@code maxContext} positions, and allocates nothing per step.
 */
public final class Transformer implements AutoCloseable {
    private final ModelConfig config;
    private final ThreadTeam team;
    private final MatMul matmul;
    private final ModelWeights weights;
    private final int maxBatchTokens;
    private final int maxContext;
    private final Rope rope;

    // Scratch, one row per batch token.
    private final float[] x;          // residual stream
    private final Activations xb;     // normed input of the attention / FFN block
    private final Activations attnOut; // concatenated attention heads, input of Wo
    private final Activations ffnAct; // SiLU(gate) * up, input of Wdown
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final float[] proj;       // output of Wo / Wdown before the residual add
    private final float[] up;
    private final float[][] scores;   // per compute thread: attention scores of one head, padded to 32
    private final ThreadTeam.RangeTask attendTask = this::attendRange;
    private int attendLayer;          // the layer and batch attendRange works on (fields: the task is preallocated)
    private Batch attendBatch;
    private final Activations finalNorm;
    private final boolean[] noBatchedOrder;
    // This transformer's share of the model: all of it, or one tensor-parallel rank's heads, FFN rows and vocabulary.
    private final TensorParallel tp;
    private final int heads;
    private final int kvHeads;
    private final int qDim;
    private final int kvDim;
    private final int ff;
    private final int vocab;
    private final float[] localLogits;

    public Transformer(ModelConfig config, ModelWeights weights, int maxBatchTokens, int maxContext) {
        this(config, weights, maxBatchTokens, maxContext, Integer.getInteger("strata.threads", Runtime.getRuntime().availableProcessors()));
    }

    public Transformer(ModelConfig config, ModelWeights weights, int maxBatchTokens, int maxContext, int threads) {
        this(config, weights, maxBatchTokens, maxContext, threads, null);
    }

    /**
     * A transformer for one tensor-parallel rank ({@code tp}, null for the whole model); {@code weights} are the
     * whole model's, sliced here. Its caches must hold this rank's KV heads:
     * {@link KvCache#KvCache(ModelConfig, int, int, int, int)}.
     */
    public Transformer(ModelConfig config, ModelWeights weights, int maxBatchTokens, int maxContext, int threads,
                       TensorParallel tp) {
        this.config = config;
        this.tp = tp;
        int ranks = tp == null ? 1 : tp.ranks();
        this.weights = tp == null ? weights : weights.shard(config, tp);
        this.heads = config.headCount() / ranks;
        this.kvHeads = config.kvHeadCount() / ranks;
        this.qDim = heads * config.headDim();
        this.kvDim = kvHeads * config.headDim();
        this.ff = config.feedForwardLength() / ranks;
        this.vocab = config.vocabSize() / ranks;
        this.localLogits = tp == null ? null : new float[Math.multiplyExact(maxBatchTokens, vocab)];
        this.team = new ThreadTeam(threads);
        this.matmul = new MatMul(team);
        this.maxBatchTokens = maxBatchTokens;
        this.maxContext = maxContext;
        int d = config.embeddingLength();
        this.rope = new Rope(config.ropeType(), config.ropeDimensions(), config.ropeFreqBase(),
                config.ropeFreqScale(), weights.ropeFreqFactors());
        this.x = new float[maxBatchTokens * d];
        this.xb = new Activations(maxBatchTokens, d);
        this.attnOut = new Activations(maxBatchTokens, heads * config.valueDim());
        this.ffnAct = new Activations(maxBatchTokens, ff);
        this.q = new float[maxBatchTokens * qDim];
        this.k = new float[maxBatchTokens * kvDim];
        this.v = new float[maxBatchTokens * kvHeads * config.valueDim()];
        this.proj = new float[maxBatchTokens * d];
        this.up = new float[maxBatchTokens * ff];
        this.scores = new float[team.size()][roundUp32(maxContext)];
        this.finalNorm = new Activations(maxBatchTokens, d);
        this.noBatchedOrder = new boolean[maxBatchTokens];
    }

    public ModelConfig config() { return config; }

    public int maxBatchTokens() { return maxBatchTokens; }

    public int maxContext() { return maxContext; }

    /**
     * Runs the batch: appends every token's key and value to its sequence's cache and writes the logits of the
     * tokens that asked for them into {@code logits} (row i = the i-th such token, {@code vocabSize} floats each).
     */
    public void forward(Batch batch, float[] logits) {
        embed(batch);
        layers(batch, 0, config.layerCount());
        commit(batch);
        head(batch, logits);
    }

    /**
     * The first pipeline stage's start: the residual stream {@link #hidden()} = the batch's token embeddings.
     * {@link #forward} is {@code embed}, {@code layers} over all layers, {@code commit}, {@code head}; a pipeline
     * stage runs its own part and passes {@link #hidden()} on.
     */
    public void embed(Batch batch) {
        int n = checkBatch(batch);
        int d = config.embeddingLength();
        for (int t = 0; t < n; t++) {
            int token = batch.tokens[t];
            if (token < 0 || token >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of " + config.vocabSize());
            }
            Dequantize.row(weights.tokenEmbedding(), token, x, t * d);
        }
    }

    /** Layers {@code [from, to)} over the residual stream, appending those layers' keys and values to the caches. */
    public void layers(Batch batch, int from, int to) {
        int n = checkBatch(batch);
        if (from < 0 || to > config.layerCount() || from > to) {
            throw new IllegalArgumentException("layers [" + from + ", " + to + ") are outside the model's "
                    + config.layerCount() + " layers");
        }
        for (int l = from; l < to; l++) {
            attention(l, batch, n);
            feedForward(l, batch, n);
        }
    }

    /** Marks the batch's positions as filled in their caches, once this process has run all its layers. */
    public void commit(Batch batch) {
        for (int t = 0; t < batch.size(); t++) {
            KvCache c = batch.caches[t];
            c.advanceTo(batch.positions[t] + 1);
        }
    }

    /** The last stage's end: logits = Wout * RMSNorm(x) for the tokens that want them. */
    public void head(Batch batch, float[] logits) {
        int n = checkBatch(batch);
        int d = config.embeddingLength();
        int rows = 0;
        float[] fn = finalNorm.values();
        for (int t = 0; t < n; t++) {
            if (batch.wantLogits[t]) {
                Ops.rmsNorm(fn, rows * d, x, t * d, weights.outputNorm(), d, config.rmsNormEps());
                rows++;
            }
        }
        finalNorm.changed();
        if (rows > 0 && tp == null) {
            // each sequence's logits as if it ran alone: one row, vec_dot's order
            matmul.apply(weights.output(), finalNorm, rows, logits, config.vocabSize(), noBatchedOrder);
        } else if (rows > 0) {
            // this rank's vocabulary slice of each row, then every rank's slices side by side
            matmul.apply(weights.output(), finalNorm, rows, localLogits, vocab, noBatchedOrder);
            for (int i = 0; i < rows; i++) {
                tp.collective().gather(localLogits, i * vocab, vocab, logits, i * config.vocabSize());
            }
        }
    }

    /**
     * The residual stream, token t's {@code embeddingLength} floats at {@code t * embeddingLength}: what a pipeline
     * stage sends to the next, and where the next one writes what it received before {@link #layers}.
     */
    public float[] hidden() {
        return x;
    }

    private int checkBatch(Batch batch) {
        int n = batch.size();
        if (n > maxBatchTokens) {
            throw new IllegalArgumentException("batch of " + n + " tokens exceeds the maximum of " + maxBatchTokens);
        }
        for (int t = 0; t < n; t++) {
            if (batch.positions[t] >= maxContext) {
                throw new IllegalArgumentException("position " + batch.positions[t] + " exceeds the context of " + maxContext);
            }
        }
        return n;
    }

    private void attention(int l, Batch batch, int n) {
        ModelWeights.Layer w = weights.layers()[l];
        int d = config.embeddingLength();
        int hd = config.headDim();
        float eps = config.rmsNormEps();

        // h = RMSNorm(x) * attn_norm
        float[] h = xb.values();
        for (int t = 0; t < n; t++) {
            Ops.rmsNorm(h, t * d, x, t * d, w.attnNorm(), d, eps);
        }
        xb.changed();
        // q, k, v projections (+ biases)
        matmul.apply(w.wq(), xb, n, q, qDim, batch.batchedOrder);
        matmul.apply(w.wk(), xb, n, k, kvDim, batch.batchedOrder);
        matmul.apply(w.wv(), xb, n, v, kvDim, batch.batchedOrder);
        for (int t = 0; t < n; t++) {
            addBias(q, t * qDim, w.bq());
            addBias(k, t * kvDim, w.bk());
            addBias(v, t * kvDim, w.bv());
            if (w.qNorm() != null) {
                // qwen3: each head normalised on its own before RoPE
                for (int hh = 0; hh < heads; hh++) {
                    Ops.rmsNorm(q, t * qDim + hh * hd, q, t * qDim + hh * hd, w.qNorm(), hd, eps);
                }
                for (int hh = 0; hh < kvHeads; hh++) {
                    Ops.rmsNorm(k, t * kvDim + hh * hd, k, t * kvDim + hh * hd, w.kNorm(), hd, eps);
                }
            }
            int pos = batch.positions[t];
            rope.apply(q, t * qDim, heads, hd, pos);
            rope.apply(k, t * kvDim, kvHeads, hd, pos);
            KvCache c = batch.caches[t];
            System.arraycopy(k, t * kvDim, c.keys(l), pos * kvDim, kvDim);
            c.putValue(l, pos, v, t * kvDim);
        }
        // softmax(q k^T / sqrt(hd)) v for every (token, head) pair, spread over the thread team
        attendLayer = l;
        attendBatch = batch;
        team.parallelFor(n * heads, 1, attendTask);
        attendBatch = null;
        attnOut.changed();
        // x = x + Wo o (+ bias)
        matmul.apply(w.wo(), attnOut, n, proj, d, batch.batchedOrder);
        if (tp != null) {
            tp.collective().sum(proj, 0, n * d); // row-parallel: every rank's partial sums
        }
        for (int t = 0; t < n; t++) {
            addBias(proj, t * d, w.bo());
            Ops.add(x, t * d, proj, t * d, d);
        }
    }

    /** Attention for the (token, head) pairs [from, to); GQA maps head hh to KV head hh / groupSize. */
    private void attendRange(int from, int to, int worker) {
        int l = attendLayer;
        Batch batch = attendBatch;
        int hd = config.headDim();
        float scale = 1f / (float) Math.sqrt(hd);
        float[] o = attnOut.values();
        float[] s = scores[worker];
        for (int pair = from; pair < to; pair++) {
            int t = pair / heads;
            int hh = pair % heads;
            KvCache c = batch.caches[t];
            float[] keys = c.keys(l);
            float[] values = c.values(l);
            int len = batch.positions[t] + 1;
            int padded = roundUp32(len);
            int kvOff = (hh / config.groupSize()) * hd;
            int qOff = t * qDim + hh * hd;
            for (int j = 0; j < len; j++) {
                s[j] = Ops.dot(keys, j * kvDim + kvOff, q, qOff, hd);
            }
            Ops.softmax(s, 0, padded, len, scale);
            // positions past len have probability 0 (and finite values), so summing whole groups of 32 is exact
            int stride = c.valueStride();
            for (int i = 0; i < hd; i++) {
                o[qOff + i] = Ops.dot(values, (kvOff + i) * stride, s, 0, padded);
            }
        }
    }

    private void feedForward(int l, Batch batch, int n) {
        ModelWeights.Layer w = weights.layers()[l];
        int d = config.embeddingLength();
        float[] h = xb.values();
        for (int t = 0; t < n; t++) {
            Ops.rmsNorm(h, t * d, x, t * d, w.ffnNorm(), d, config.rmsNormEps());
        }
        xb.changed();
        float[] act = ffnAct.values();
        matmul.apply(w.gate(), xb, n, act, ff, batch.batchedOrder);
        matmul.apply(w.up(), xb, n, up, ff, batch.batchedOrder);
        for (int t = 0; t < n; t++) {
            Ops.siluTimes(act, t * ff, up, t * ff, ff);
        }
        ffnAct.changed();
        matmul.apply(w.down(), ffnAct, n, proj, d, batch.batchedOrder);
        if (tp != null) {
            tp.collective().sum(proj, 0, n * d);
        }
        for (int t = 0; t < n; t++) {
            Ops.add(x, t * d, proj, t * d, d);
        }
    }

    private static void addBias(float[] y, int off, float[] bias) {
        if (bias != null) {
            Ops.add(y, off, bias, 0, bias.length);
        }
    }

    /** Stops the compute threads. */
    @Override
    public void close() {
        team.close();
    }

    static int roundUp32(int n) {
        return (n + 31) & ~31;
    }
}
