package io.strata.cli;

import io.strata.model.arch.Architecture;
import io.strata.model.store.ModelLocator;
import io.strata.model.synth.QuantizationMix;
import io.strata.model.synth.SyntheticModelSpec;
import io.strata.model.synth.SyntheticModelWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code strata synth}: writes a random-weight model, deterministic by seed, for tests and benchmarks. */
@Command(name = "synth", description = "Write a random-weight GGUF model (deterministic by --seed).")
final class SynthCommand implements Callable<Integer> {

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE")
    Path output;

    @Option(names = "--arch", description = "llama, qwen2 or qwen3. Default: ${DEFAULT-VALUE}.")
    String arch = "llama";

    @Option(names = "--preset", description = "A known shape: llama-3.2-1b.")
    String preset;

    @Option(names = "--dim", description = "Embedding length. Default: ${DEFAULT-VALUE}.")
    int dim = 256;

    @Option(names = "--layers", description = "Default: ${DEFAULT-VALUE}.")
    int layers = 2;

    @Option(names = "--heads", description = "Default: ${DEFAULT-VALUE}.")
    int heads = 8;

    @Option(names = "--kv-heads", description = "Default: same as --heads.")
    Integer kvHeads;

    @Option(names = "--ff", description = "Feed-forward length. Default: ${DEFAULT-VALUE}.")
    int ff = 768;

    @Option(names = "--vocab-from", paramLabel = "GGUF", description = "Copy the tokenizer of this GGUF (path or name on STRATA_MODEL_PATH).")
    String vocabFrom;

    @Option(names = "--vocab-size", description = "Size of the generated vocabulary when --vocab-from is not given. Default: ${DEFAULT-VALUE}.")
    int vocabSize = 512;

    @Option(names = "--untied", description = "Write a separate output.weight instead of reusing the token embedding.")
    boolean untied;

    @Option(names = "--rope-base", description = "Default: ${DEFAULT-VALUE}.")
    float ropeBase = 10000f;

    @Option(names = "--ctx", description = "Training context length written to the metadata. Default: ${DEFAULT-VALUE}.")
    int context = 4096;

    @Option(names = "--type", description = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K_M, Q4_K_M, Q5_K_M, Q6_K. Default: ${DEFAULT-VALUE}.")
    String type = "Q8_0";

    @Option(names = "--seed", description = "Default: ${DEFAULT-VALUE}.")
    long seed = 42;

    @Override
    public Integer call() throws Exception {
        QuantizationMix q = QuantizationMix.parse(type);
        Path vocab = vocabFrom == null ? null : ModelLocator.fromEnvironment().locate(vocabFrom);
        SyntheticModelSpec spec;
        if (preset != null) {
            if (!preset.equals("llama-3.2-1b")) {
                throw new IllegalArgumentException("unknown preset '" + preset + "' (known: llama-3.2-1b)");
            }
            spec = SyntheticModelSpec.llama32_1b(vocab, q, seed);
        } else {
            Architecture a = Architecture.byGgufName(arch);
            if (a == null) {
                throw new IllegalArgumentException("unknown --arch '" + arch + "' (supported: " + Architecture.supportedNames() + ")");
            }
            spec = new SyntheticModelSpec(a, dim, layers, heads, kvHeads == null ? heads : kvHeads, ff, vocabSize, vocab,
                    !untied, ropeBase, context, q, seed);
        }
        long t0 = System.nanoTime();
        SyntheticModelWriter.write(spec, output);
        System.err.printf("wrote %s (%.1f MiB) in %.1f s%n", output, Files.size(output) / 1048576.0, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
