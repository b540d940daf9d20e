package io.strata.sharding;

import io.strata.model.arch.Architecture;
import io.strata.model.arch.ModelConfig;
import io.strata.model.tensor.GgmlType;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Model shapes and inventories for tests. */
final class TestModels {
    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;

    private TestModels() {}

    static ModelConfig config(final int layers, final int heads, final int kvHeads, final int headDim, final int embd,
                              final int ff, final int vocab) {
        return new ModelConfig(Architecture.LLAMA, "test", embd, layers, heads, kvHeads, headDim, headDim, ff, vocab,
                4096, headDim, 10000f, 1f, 1e-5f);
    }

    /** A Llama-3.2-1B-shaped model: 16 layers, 32 heads, 8 KV heads of 64, FFN 8192, vocabulary 128256. */
    static ModelTensors llama1b(final GgmlType matrices) {
        return ModelTensors.standard("llama-1b", config(16, 32, 8, 64, 2048, 8192, 128256), matrices, matrices, true);
    }

    static List<WorkerCapacity> workers(final int n, final long memory, final int threads) {
        final List<WorkerCapacity> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(new WorkerCapacity("w" + i, memory, threads, Backend.CPU));
        }
        return out;
    }

    static PlanRequest request(final ModelTensors model, final List<WorkerCapacity> workers, final int replicas,
                               final int pp, final int tp) {
        return new PlanRequest(1, model, workers, replicas, pp, tp, 512, 4, 0);
    }

    /** {@code preferred} where a row of {@code columns} is whole blocks of it, else Q8_0, else F16 (llama.cpp's fallbacks). */
    static GgmlType typeFor(final long columns, final GgmlType preferred) {
        if (columns % preferred.blockSize() == 0) {
            return preferred;
        }
        return columns % GgmlType.Q8_0.blockSize() == 0 ? GgmlType.Q8_0 : GgmlType.F16;
    }

    /** A random llama-family model with a mix of tensor types, as quantizers produce them. */
    static ModelTensors random(final Random rnd) {
        final int headDim = pickInt(rnd, 8, 16, 32, 64, 128);
        final int kvHeads = pickInt(rnd, 1, 2, 3, 4, 6, 8);
        final int heads = kvHeads * pickInt(rnd, 1, 2, 4);
        final int embd = rnd.nextBoolean() ? heads * headDim : 256 * (1 + rnd.nextInt(8));
        final int ff = rnd.nextBoolean() ? 256 * (1 + rnd.nextInt(24)) : 8 + rnd.nextInt(3000);
        final int vocab = 16 + rnd.nextInt(40000);
        final int layers = 1 + rnd.nextInt(24);
        final ModelConfig c = config(layers, heads, kvHeads, headDim, embd, ff, vocab);
        final GgmlType matrices = pick(rnd, GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K,
                GgmlType.Q6_K);
        final GgmlType downType = rnd.nextBoolean() ? matrices : pick(rnd, GgmlType.Q6_K, GgmlType.Q8_0);
        final List<WeightTensor> t = new ArrayList<>();
        t.add(new WeightTensor("token_embd.weight", typeFor(embd, matrices), embd, vocab));
        if (rnd.nextBoolean()) {
            t.add(new WeightTensor("rope_freqs.weight", GgmlType.F32, headDim / 2, 1));
        }
        final boolean biases = rnd.nextInt(4) == 0;
        for (int i = 0; i < layers; i++) {
            final String p = "blk." + i + ".";
            t.add(new WeightTensor(p + "attn_norm.weight", GgmlType.F32, embd, 1));
            t.add(new WeightTensor(p + "attn_q.weight", typeFor(embd, matrices), embd, c.queryDim()));
            t.add(new WeightTensor(p + "attn_k.weight", typeFor(embd, matrices), embd, c.kvDim()));
            t.add(new WeightTensor(p + "attn_v.weight", typeFor(embd, matrices), embd, c.kvDim()));
            if (biases) {
                t.add(new WeightTensor(p + "attn_q.bias", GgmlType.F32, c.queryDim(), 1));
                t.add(new WeightTensor(p + "attn_k.bias", GgmlType.F32, c.kvDim(), 1));
                t.add(new WeightTensor(p + "attn_v.bias", GgmlType.F32, c.kvDim(), 1));
                t.add(new WeightTensor(p + "attn_output.bias", GgmlType.F32, embd, 1));
            }
            t.add(new WeightTensor(p + "attn_output.weight", typeFor(c.queryDim(), matrices), c.queryDim(), embd));
            t.add(new WeightTensor(p + "ffn_norm.weight", GgmlType.F32, embd, 1));
            t.add(new WeightTensor(p + "ffn_gate.weight", typeFor(embd, matrices), embd, ff));
            t.add(new WeightTensor(p + "ffn_up.weight", typeFor(embd, matrices), embd, ff));
            t.add(new WeightTensor(p + "ffn_down.weight", typeFor(ff, i % 2 == 0 ? downType : matrices), ff, embd));
        }
        t.add(new WeightTensor("output_norm.weight", GgmlType.F32, embd, 1));
        if (rnd.nextBoolean()) {
            t.add(new WeightTensor("output.weight", typeFor(embd, GgmlType.Q6_K), embd, vocab));
        }
        return ModelTensors.of("random", c, t);
    }

    @SafeVarargs
    static <T> T pick(final Random rnd, final T... options) {
        return options[rnd.nextInt(options.length)];
    }

    static int pickInt(final Random rnd, final int... options) {
        return options[rnd.nextInt(options.length)];
    }
}
