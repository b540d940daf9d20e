package io.strata.inference;

import io.strata.kernels.cpu.AllocationProbe;
import io.strata.model.arch.Architecture;
import io.strata.model.arch.ModelConfig;
import io.strata.model.gguf.GgufFile;
import io.strata.model.synth.QuantizationMix;
import io.strata.model.synth.SyntheticModelSpec;
import io.strata.model.synth.SyntheticModelWriter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** One decode step of the whole transformer must not allocate once compiled. */
class ForwardAllocationTest {
    private static final long SLACK_BYTES = 2_048;

    @ParameterizedTest(name = "{0}, {1} thread(s)")
    @CsvSource({"Q4_K_M, 1", "Q8_0, 1", "Q4_0, 2", "F16, 1"})
    void decodeStepDoesNotAllocateAfterWarmUp(String quantization, int threads, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("synth.gguf");
        SyntheticModelWriter.write(new SyntheticModelSpec(Architecture.LLAMA, 256, 2, 4, 2, 512, 300, null, false,
                10000f, 64, QuantizationMix.parse(quantization), 7), file);
        try (GgufFile f = GgufFile.open(file)) {
            ModelConfig c = ModelConfig.fromGguf(f.metadata(), f.name());
            try (Transformer tr = new Transformer(c, ModelWeights.load(f, c), 4, 64, threads)) {
                KvCache cache = new KvCache(c, 64);
                Batch b = new Batch(4);
                float[] logits = new float[c.vocabSize()];
                b.addSequence(cache, new int[]{1, 5, 9}, 0, 3);
                tr.forward(b, logits);
                int position = cache.length();
                Runnable step = () -> {
                    // the same decode step again and again: same position, so the cache never fills up
                    b.clear();
                    b.add(cache, 42, position, true);
                    tr.forward(b, logits);
                };
                for (int i = 0; i < 1_000; i++) {
                    step.run();
                }
                AllocationProbe probe = new AllocationProbe();
                long bytes = probe.steadyStateBytes(step, 50, 200, SLACK_BYTES);
                assertTrue(bytes <= SLACK_BYTES, quantization + ": " + bytes + " bytes allocated in 50 decode steps ("
                        + probe.jitState() + ")");
            }
        }
    }
}
