package io.strata.inference;

import io.strata.model.ModelSource;
import io.strata.model.convert.FileType;
import io.strata.model.convert.GgufConverter;
import io.strata.model.store.ModelLocator;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hugging Face directories against llama.cpp's reference (F32 KV cache): the safetensors directories run directly
 * (NEOX RoPE over HF's q/k row order), and the GGUFs {@code strata convert} writes from them. Teacher-forced
 * logits are compared step by step as in {@link GoldenLogitsTest}, and every step's argmax must be the reference's
 * token, so greedy decoding gives the reference's 48 tokens. Where the model is not exactly the reference's (BF16
 * norms, a Q8_0 instead of a Q5_0 embedding) the logits differ by that rounding, but the tokens may not.
 */
class HfModelGoldenTest {

    /**
     * source (a directory under the model path), convert type ("-" runs the directory itself), golden model, bound
     * on the worst step's max |logit error|.
     */
    @ParameterizedTest(name = "{0} {1} vs {2}")
    @CsvSource({
            // the summation order of q.k differs from the GGUF's interleaved layout: float32 rounding only
            "stories260K-hf,              -,      stories260K,          1e-4",
            // the shards also round the norm weights to BF16 (the BF16 GGUF keeps them F32): 0.116 measured
            "stories260K-hf-bf16-sharded, -,      stories260K-BF16,     0.2",
            // the same tensors as llama-quantize's Q6_K file ("Q8_0-mix"), the head tied instead of copied
            "stories260K-hf,              Q8_0,   stories260K-Q8_0-mix, 1e-4",
            // Q4_K_M: as llama-quantize's Q4_K_M file ("Q5_0-mix"), except that the tied embedding is the output
            // head and so Q8_0 where that file has a Q5_0 embedding: 0.62 measured
            "stories260K-hf,              Q4_K_M, stories260K-Q5_0-mix, 1.0",
    })
    void runsAsLlamaCppWithinTheTypesTolerance(final String source, final String type, final String golden,
                                                final double tolerance, @TempDir final Path dir) throws IOException {
        final Path hf = ModelLocator.fromEnvironment().locate(source);
        final Path model;
        if (type.equals("-")) {
            model = hf;
        } else {
            model = dir.resolve("converted.gguf");
            try (ModelSource s = ModelSource.open(hf)) {
                GgufConverter.convert(s, FileType.parse(type), model, false, line -> { });
            }
        }
        final GoldenReference g = GoldenReference.greedy(golden, true);
        final List<float[]> ref = GoldenReference.logits(golden, true);
        try (LocalModel m = LocalModel.open(model); Transformer tr = m.newTransformer(16, 128)) {
            assertArrayEquals(g.promptIds(), m.tokenizer().encode("Once upon a time", true, false), "prompt ids");
            final KvCache cache = new KvCache(m.config(), 128);
            final Batch b = new Batch(16);
            final float[] logits = new float[m.config().vocabSize()];
            b.addSequence(cache, g.promptIds(), 0, g.promptIds().length);
            tr.forward(b, logits);
            double worst = 0;
            for (int step = 0; step < g.generatedIds().length; step++) {
                assertEquals(g.generatedIds()[step], GoldenLogitsTest.argmax(logits), source + " " + type + ": greedy token at step " + step);
                final float[] r = ref.get(step);
                for (int i = 0; i < r.length; i++) {
                    worst = Math.max(worst, Math.abs(r[i] - logits[i]));
                }
                b.clear();
                b.add(cache, g.generatedIds()[step], cache.length(), true);
                tr.forward(b, logits);
            }
            System.out.printf("%-28s %-6s vs %-22s worst step |logit error| %.3g%n", source, type, golden, worst);
            assertTrue(worst <= tolerance, source + " " + type + ": max logit error " + worst + " exceeds " + tolerance);
        }
    }
}
