package io.strata.sharding;

import io.strata.model.arch.ModelConfig;
import io.strata.model.ModelSource;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.tensor.GgmlType;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the planner knows of a model: its hyperparameters and every weight's name, type and shape (the sizes a
 * slice costs depend on the type, and a quantized type decides where a row may be cut).
 *
 * @param name    the model's name in the plan ({@code general.name} or the file name)
 * @param tensors by GGUF name, in file order
 */
public record ModelTensors(String name, ModelConfig config, Map<String, WeightTensor> tensors) {

    public ModelTensors {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(config, "config");
        tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    public static ModelTensors of(final String name, final ModelConfig config, final List<WeightTensor> tensors) {
        final Map<String, WeightTensor> byName = new LinkedHashMap<>();
        for (final WeightTensor t : tensors) {
            if (byName.putIfAbsent(t.name(), t) != null) {
                throw new IllegalArgumentException("tensor " + t.name() + " is listed twice");
            }
        }
        return new ModelTensors(name, config, byName);
    }

    /** The hyperparameters and tensor table of an open GGUF file or HF directory (no weight bytes are read). */
    public static ModelTensors fromGguf(final ModelSource file) {
        final ModelConfig config = ModelConfig.of(file);
        final List<WeightTensor> tensors = file.tensors().values().stream().map(ModelTensors::weight).toList();
        return of(config.name().isEmpty() ? file.name() : config.name(), config, tensors);
    }

    private static WeightTensor weight(final GgufTensorInfo t) {
        final long rows = Arrays.stream(t.shape()).skip(1).reduce(1L, Math::multiplyExact);
        return new WeightTensor(t.name(), t.type(), t.columns(), rows);
    }

    /**
     * The tensors a llama-family GGUF of this configuration holds, with {@code matrixType} for every matrix,
     * {@code embeddingType} for the token embedding and output head, and F32 vectors: for estimates before a
     * file exists, and for tests.
     */
    public static ModelTensors standard(final String name, final ModelConfig c, final GgmlType matrixType,
                                        final GgmlType embeddingType, final boolean tiedOutput) {
        final long d = c.embeddingLength();
        final List<WeightTensor> out = new java.util.ArrayList<>();
        out.add(new WeightTensor("token_embd.weight", embeddingType, d, c.vocabSize()));
        for (int i = 0; i < c.layerCount(); i++) {
            final String p = "blk." + i + ".";
            out.add(new WeightTensor(p + "attn_norm.weight", GgmlType.F32, d, 1));
            out.add(new WeightTensor(p + "attn_q.weight", matrixType, d, c.queryDim()));
            out.add(new WeightTensor(p + "attn_k.weight", matrixType, d, c.kvDim()));
            out.add(new WeightTensor(p + "attn_v.weight", matrixType, d, c.kvValueDim()));
            out.add(new WeightTensor(p + "attn_output.weight", matrixType, (long) c.headCount() * c.valueDim(), d));
            out.add(new WeightTensor(p + "ffn_norm.weight", GgmlType.F32, d, 1));
            out.add(new WeightTensor(p + "ffn_gate.weight", matrixType, d, c.feedForwardLength()));
            out.add(new WeightTensor(p + "ffn_up.weight", matrixType, d, c.feedForwardLength()));
            out.add(new WeightTensor(p + "ffn_down.weight", matrixType, c.feedForwardLength(), d));
        }
        out.add(new WeightTensor("output_norm.weight", GgmlType.F32, d, 1));
        if (!tiedOutput) {
            out.add(new WeightTensor("output.weight", embeddingType, d, c.vocabSize()));
        }
        return of(name, c, out);
    }

    public WeightTensor tensor(final String tensorName) { return tensors.get(tensorName); }

    /** Whether the output head is the token embedding (no {@code output.weight}). */
    public boolean tiedOutput() { return !tensors.containsKey(TensorRules.OUTPUT); }
}
