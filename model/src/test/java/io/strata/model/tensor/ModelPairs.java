package io.strata.model.tensor;

import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufTensorInfo;
import io.strata.model.store.ModelLocator;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The shared reference models that come in an F32 original and copies requantized by llama-quantize (no
 * importance matrix): synth-k-* (every K-quant, Q4_1, IQ4_NL, Q8_0) and stories260K-* (Q4_0, Q5_0, Q5_1, Q8_0, F16,
 * BF16). Together they hold every supported weight type.
 */
final class ModelPairs {
    static final String[] SYNTH = {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q4_1", "IQ4_NL", "Q8_0"};
    static final String[] STORIES = {"F16", "BF16", "Q8_0-mix", "Q4_0-mix", "Q5_0-mix", "Q5_1-mix"};

    /** One quantized file and the F32 file it was made from. */
    record Pair(String quantized, String original) {
        @Override
        public String toString() {
            return quantized;
        }
    }

    /** One tensor of a quantized file with its F32 original, both decoded to floats. */
    record Tensor(String name, GgmlType type, GgufTensorInfo info, float[] original) {
    }

    private ModelPairs() {
    }

    static Stream<Pair> all() {
        List<Pair> pairs = new ArrayList<>();
        for (String s : SYNTH) {
            pairs.add(new Pair("synth-k-" + s + ".gguf", "synth-k-F32.gguf"));
        }
        for (String s : STORIES) {
            pairs.add(new Pair("stories260K-" + s + ".gguf", "stories260K.gguf"));
        }
        return pairs.stream();
    }

    /** Calls {@code visitor} for every non-F32 tensor of the pair's quantized file. */
    static void forEachQuantizedTensor(Pair pair, Visitor visitor) {
        ModelLocator locator = ModelLocator.fromEnvironment();
        try (GgufFile original = GgufFile.open(locator.locate(pair.original()));
             GgufFile quantized = GgufFile.open(locator.locate(pair.quantized()))) {
            for (GgufTensorInfo info : quantized.tensors().values()) {
                if (info.type() == GgmlType.F32) {
                    continue;
                }
                GgufTensorInfo ref = original.tensors().get(info.name());
                int n = Math.toIntExact(info.elementCount());
                float[] values = new float[n];
                Dequantizer.dequantize(GgmlType.F32, original.data(ref), 0, values, 0, n);
                visitor.visit(new Tensor(info.name(), info.type(), info, values), quantized);
            }
        }
    }

    interface Visitor {
        void visit(Tensor tensor, GgufFile quantizedFile);
    }
}
