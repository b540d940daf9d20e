package io.strata.inference;

import io.strata.model.ModelFormatException;
import io.strata.model.arch.Architecture;
import io.strata.model.gguf.GgufFile;
import io.strata.model.gguf.GgufWriter;
import io.strata.model.synth.QuantizationMix;
import io.strata.model.synth.SyntheticModelSpec;
import io.strata.model.synth.SyntheticModelWriter;
import io.strata.model.tensor.GgmlType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each architecture's forward pass against the double-precision reference, and what the loader refuses. */
class ArchitectureTest {

    @TempDir
    Path dir;

    private Path synth(Architecture arch, String type) throws Exception {
        Path p = dir.resolve(arch.ggufName() + "-" + type + ".gguf");
        SyntheticModelWriter.write(new SyntheticModelSpec(arch, 64, 2, 4, 2, 96, 300, null, arch != Architecture.QWEN2,
                10000f, 512, QuantizationMix.parse(type), 3), p);
        return p;
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void forwardPassMatchesADoublePrecisionReference(Architecture arch) throws Exception {
        try (LocalModel m = LocalModel.open(synth(arch, "F32")); Transformer tr = m.newTransformer(4, 32)) {
            ReferenceForward ref = new ReferenceForward(m.config(), m.weights(), 32);
            KvCache cache = new KvCache(m.config(), 32);
            Batch b = new Batch(4);
            float[] logits = new float[m.config().vocabSize()];
            int[] tokens = {1, 17, 250, 42, 99, 3, 7, 200, 150, 5};
            double worst = 0;
            for (int t : tokens) {
                b.clear();
                b.add(cache, t, cache.length(), true);
                tr.forward(b, logits);
                double[] want = ref.next(t);
                for (int i = 0; i < want.length; i++) {
                    worst = Math.max(worst, Math.abs(want[i] - logits[i]));
                }
            }
            assertTrue(worst < 2e-4, arch + ": max logit error " + worst);
        }
    }

    @Test
    void anUnknownArchitectureIsRefusedByName() throws Exception {
        Path p = dir.resolve("gpt2.gguf");
        new GgufWriter().putString("general.architecture", "gpt2").write(p);
        try (GgufFile f = GgufFile.open(p)) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> io.strata.model.arch.ModelConfig.fromGguf(f.metadata(), f.name()));
            assertTrue(e.getMessage().contains("'gpt2' is not supported"), e.getMessage());
        }
    }

    @Test
    void anUnsupportedTensorTypeIsRefusedByName() throws Exception {
        Path good = dir.resolve("wide.gguf");
        SyntheticModelWriter.write(new SyntheticModelSpec(Architecture.LLAMA, 256, 2, 4, 2, 256, 300, null, true,
                10000f, 512, QuantizationMix.parse("Q8_0"), 3), good);
        // the same model with one matrix declared as IQ2_XXS, a type ggml defines and Strata does not compute
        Path bad = dir.resolve("iq2.gguf");
        try (GgufFile f = GgufFile.open(good)) {
            GgufWriter w = new GgufWriter();
            f.metadata().asMap().forEach(w::put);
            f.tensors().values().forEach(t -> w.addTensor(t.name(), t.shape(),
                    t.name().equals("blk.1.attn_q.weight") ? GgmlType.IQ2_XXS : t.type(), seg -> {}));
            w.write(bad);
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LocalModel.open(bad));
        assertTrue(e.getMessage().contains("IQ2_XXS is not supported"), e.getMessage());
        assertTrue(e.getMessage().contains("blk.1.attn_q.weight"), e.getMessage());
    }

    @Test
    void llama31RopeFrequencyFactorsDivideTheAngles() {
        io.strata.kernels.cpu.Rope plain = new io.strata.kernels.cpu.Rope(Architecture.RopeType.NORM, 4, 10000f, 1f, null);
        io.strata.kernels.cpu.Rope scaled = new io.strata.kernels.cpu.Rope(Architecture.RopeType.NORM, 4, 10000f, 1f, new float[]{1f, 8f});
        float[] a = {1, 0, 1, 0};
        float[] b = {1, 0, 1, 0};
        plain.apply(a, 0, 1, 4, 16);
        scaled.apply(b, 0, 1, 4, 16);
        assertEquals(a[0], b[0], 0f, "pair 0 has factor 1");
        double theta = 16 * Math.pow(10000, -0.5) / 8;
        assertEquals(Math.cos(theta), b[2], 1e-6);
        assertEquals(Math.sin(theta), b[3], 1e-6);
    }
}
