package io.strata.inference;

import io.strata.model.ModelFormatException;
import io.strata.model.arch.Architecture;
import io.strata.model.arch.ModelConfig;
import io.strata.model.ModelSource;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.kernels.WeightMatrix;
import io.strata.model.tensor.Dequantizer;
import io.strata.model.tensor.GgmlType;

import java.util.Arrays;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * A model's weights, located in the mapped GGUF file and checked against the configuration: every tensor the
 * architecture needs is present with the expected shape and a supported type. Matrices stay in the mapping;
 * only the small norm vectors and biases are widened onto the heap.
 */
public record ModelWeights(
        WeightMatrix tokenEmbedding,
        float[] outputNorm,
        WeightMatrix output,
        float[] ropeFreqFactors,
        Layer[] layers) {

    /** One transformer block's weights. Biases and q/k norms are null when the architecture has none. */
    public record Layer(
            float[] attnNorm,
            WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
            float[] bq, float[] bk, float[] bv, float[] bo,
            float[] qNorm, float[] kNorm,
            float[] ffnNorm,
            WeightMatrix gate, WeightMatrix up, WeightMatrix down) {}


    public static ModelWeights load(ModelSource f, ModelConfig c) {
        Loader l = new Loader(f);
        int d = c.embeddingLength();
        WeightMatrix emb = l.matrix("token_embd.weight", d, c.vocabSize());
        WeightMatrix out = f.tensor("output.weight") != null ? l.matrix("output.weight", d, c.vocabSize()) : emb;
        float[] ropeFreqs = f.tensor("rope_freqs.weight") != null ? l.vector("rope_freqs.weight", c.ropeDimensions() / 2) : null;
        boolean qwen2 = c.architecture() == Architecture.QWEN2;
        Layer[] layers = new Layer[c.layerCount()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            layers[i] = new Layer(
                    l.vector(p + "attn_norm.weight", d),
                    l.matrix(p + "attn_q.weight", d, c.queryDim()),
                    l.matrix(p + "attn_k.weight", d, c.kvDim()),
                    l.matrix(p + "attn_v.weight", d, c.kvValueDim()),
                    l.matrix(p + "attn_output.weight", c.headCount() * c.valueDim(), d),
                    l.optionalVector(p + "attn_q.bias", c.queryDim(), qwen2),
                    l.optionalVector(p + "attn_k.bias", c.kvDim(), qwen2),
                    l.optionalVector(p + "attn_v.bias", c.kvValueDim(), qwen2),
                    l.optionalVector(p + "attn_output.bias", d, false),
                    c.architecture().hasQkNorm() ? l.vector(p + "attn_q_norm.weight", c.headDim()) : null,
                    c.architecture().hasQkNorm() ? l.vector(p + "attn_k_norm.weight", c.headDim()) : null,
                    l.vector(p + "ffn_norm.weight", d),
                    l.matrix(p + "ffn_gate.weight", d, c.feedForwardLength()),
                    l.matrix(p + "ffn_up.weight", d, c.feedForwardLength()),
                    l.matrix(p + "ffn_down.weight", c.feedForwardLength(), d));
        }
        return new ModelWeights(emb, l.vector("output_norm.weight", d), out, ropeFreqs, layers);
    }

    /**
     * These weights with {@code layout} applied to every matrix a product reads (every layer's and the output
     * head; the embedding table only feeds row lookups): the native kernels' copies, {@code MatMul.withKernelLayout}.
     */
    public ModelWeights withKernelLayouts(UnaryOperator<WeightMatrix> layout) {
        Layer[] out = new Layer[layers.length];
        for (int i = 0; i < layers.length; i++) {
            Layer l = layers[i];
            out[i] = new Layer(l.attnNorm(), layout.apply(l.wq()), layout.apply(l.wk()), layout.apply(l.wv()),
                    layout.apply(l.wo()), l.bq(), l.bk(), l.bv(), l.bo(), l.qNorm(), l.kNorm(), l.ffnNorm(),
                    layout.apply(l.gate()), layout.apply(l.up()), layout.apply(l.down()));
        }
        return new ModelWeights(tokenEmbedding, outputNorm, layout.apply(output), ropeFreqFactors, out);
    }

    /**
     * Rank {@code tp.rank()}'s slices of these weights (views of the same mapping, nothing copied but the small
     * bias vectors): its heads' rows of q/k/v, its FFN rows of gate/up, the matching columns of the attention output
     * and down projections, its vocabulary rows of the output head. The embedding and norms stay whole.
     *
     * @throws IllegalArgumentException naming the dimension the rank count does not divide
     */
    public ModelWeights shard(ModelConfig c, TensorParallel tp) {
        int r = tp.ranks();
        requireDivides(r, c.kvHeadCount(), "KV heads");
        requireDivides(r, c.headCount(), "attention heads");
        requireDivides(r, c.feedForwardLength(), "FFN rows");
        requireDivides(r, c.vocabSize(), "vocabulary entries");
        Layer[] out = new Layer[layers.length];
        int qDim = c.queryDim();
        int kvDim = c.kvDim();
        int kvValueDim = c.kvValueDim();
        int oCols = c.headCount() * c.valueDim();
        int ff = c.feedForwardLength();
        for (int i = 0; i < layers.length; i++) {
            Layer l = layers[i];
            out[i] = new Layer(l.attnNorm(),
                    l.wq().rows(tp.from(qDim), tp.to(qDim)),
                    l.wk().rows(tp.from(kvDim), tp.to(kvDim)),
                    l.wv().rows(tp.from(kvValueDim), tp.to(kvValueDim)),
                    l.wo().columns(tp.from(oCols), tp.to(oCols)),
                    slice(l.bq(), tp, qDim), slice(l.bk(), tp, kvDim), slice(l.bv(), tp, kvValueDim), l.bo(),
                    l.qNorm(), l.kNorm(), l.ffnNorm(),
                    l.gate().rows(tp.from(ff), tp.to(ff)),
                    l.up().rows(tp.from(ff), tp.to(ff)),
                    l.down().columns(tp.from(ff), tp.to(ff)));
        }
        int v = c.vocabSize();
        return new ModelWeights(tokenEmbedding, outputNorm, output.rows(tp.from(v), tp.to(v)), ropeFreqFactors, out);
    }

    private static void requireDivides(int ranks, int n, String what) {
        if (n % ranks != 0) {
            throw new IllegalArgumentException("tensor_parallel " + ranks + " does not divide the model's " + n + " " + what);
        }
    }

    private static float[] slice(float[] bias, TensorParallel tp, int n) {
        return bias == null ? null : Arrays.copyOfRange(bias, tp.from(n), tp.to(n));
    }

    /** Looks tensors up by name and checks them. */
    private record Loader(ModelSource f) {

        GgufTensorInfo info(String name) {
            GgufTensorInfo t = f.tensor(name);
            if (t == null) {
                throw new ModelFormatException(f.name(), "tensor '" + name + "'", ModelFormatException.NO_OFFSET, "required tensor is missing");
            }
            return t;
        }

        WeightMatrix matrix(String name, int cols, int rows) {
            GgufTensorInfo t = info(name);
            if (t.shape().length > 2 && Arrays.stream(t.shape()).skip(2).anyMatch(x -> x != 1)
                    || t.columns() != cols || t.rows() != rows) {
                throw shape(t, "[" + cols + ", " + rows + "]");
            }
            if (!t.type().isSupported()) {
                throw new ModelFormatException(f.name(), "tensor '" + name + "' type", ModelFormatException.NO_OFFSET,
                        "tensor type " + t.type() + " is not supported (supported: " + supportedTypes() + ")");
            }
            return new WeightMatrix(name, t.type(), f.data(t), rows, cols);
        }

        float[] vector(String name, int n) {
            GgufTensorInfo t = info(name);
            if (t.elementCount() != n) {
                throw shape(t, "[" + n + "]");
            }
            if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) {
                throw new ModelFormatException(f.name(), "tensor '" + name + "' type", ModelFormatException.NO_OFFSET,
                        "a norm or bias must be F32, F16 or BF16, found " + t.type());
            }
            float[] v = new float[n];
            Dequantizer.dequantize(t.type(), f.data(t), 0, v, 0, n);
            return v;
        }

        float[] optionalVector(String name, int n, boolean required) {
            return required || f.tensor(name) != null ? vector(name, n) : null;
        }

        ModelFormatException shape(GgufTensorInfo t, String expected) {
            return new ModelFormatException(f.name(), "tensor '" + t.name() + "' shape", ModelFormatException.NO_OFFSET,
                    "expected " + expected + " from the model's hyperparameters, found " + t.shapeString());
        }
    }

    static String supportedTypes() {
        return Arrays.stream(GgmlType.values()).filter(GgmlType::isSupported).map(Enum::name).collect(Collectors.joining(", "));
    }
}
