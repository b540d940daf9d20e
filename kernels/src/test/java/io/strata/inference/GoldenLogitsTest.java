package io.strata.inference;

import io.strata.model.arch.ModelConfig;
import io.strata.model.gguf.GgufFile;
import io.strata.model.store.ModelLocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Teacher-forced comparison with llama.cpp (F32 KV cache): feed BOS + "Once upon a time" and then the reference's
 * own greedy tokens, and compare the full logit vector of every step. Greedy agreement is then checked wherever
 * the reference's top-1/top-2 gap exceeds twice the error measured on that step.
 *
 * <p>Two bounds per model: the median step and the worst step. Both are about 5e-5, the print precision of the
 * reference, wherever we reproduce llama.cpp's arithmetic bit for bit: the prompt goes through the batched
 * (tinyBLAS) order, decode steps through vec_dot, RoPE fuses like GCC. One known exception: from step 25 the F16
 * model is off by up to 6.5e-3, the signature of one activation rounded to the other side of an F16 boundary after
 * a last-bit difference not found yet; the jump then stays in the KV cache.
 */
class GoldenLogitsTest {

    /** model, bound on the median step's max |logit error|, bound on the worst step's. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "stories260K,          1e-4, 1e-4",
            "stories260K-F16,      1e-4, 1e-2", // one F16 rounding flip at step 25, see below
            "stories260K-BF16,     1e-4, 1e-4",
            "stories260K-Q8_0-mix, 1e-4, 1e-4",
            "stories260K-Q4_0-mix, 1e-4, 1e-4",
            "stories260K-Q5_0-mix, 1e-4, 1e-4",
            "stories260K-Q5_1-mix, 1e-4, 1e-4",
            "synth-k-F32,          1e-4, 1e-4",
            "synth-k-Q8_0,         1e-4, 1e-4",
            "synth-k-Q4_1,         1e-4, 1e-4",
            "synth-k-IQ4_NL,       1e-4, 1e-4",
            "synth-k-Q2_K,         1e-4, 1e-4",
            "synth-k-Q3_K_M,       1e-4, 1e-4",
            "synth-k-Q4_K_M,       1e-4, 1e-4",
            "synth-k-Q5_K_M,       1e-4, 1e-4",
            "synth-k-Q6_K,         1e-4, 1e-4",
    })
    void teacherForcedLogitsMatchLlamaCpp(String model, double medianTolerance, double tolerance) {
        GoldenReference g = GoldenReference.greedy(model, true);
        List<float[]> ref = GoldenReference.logits(model, true);
        try (GgufFile f = GgufFile.open(ModelLocator.fromEnvironment().locate(model + ".gguf"))) {
            ModelConfig c = ModelConfig.fromGguf(f.metadata(), f.name());
            Transformer tr = new Transformer(c, ModelWeights.load(f, c), 16, 128);
            KvCache cache = new KvCache(c, 128);
            Batch b = new Batch(16);
            float[] logits = new float[c.vocabSize()];
            b.addSequence(cache, g.promptIds(), 0, g.promptIds().length);
            tr.forward(b, logits);
            double worst = 0;
            int greedyChecked = 0;
            double[] stepErrors = new double[g.generatedIds().length];
            for (int step = 0; step < g.generatedIds().length; step++) {
                float[] r = ref.get(step);
                assertEquals(c.vocabSize(), r.length, "vocabulary size of the reference");
                double err = 0;
                for (int i = 0; i < r.length; i++) {
                    err = Math.max(err, Math.abs(r[i] - logits[i]));
                }
                worst = Math.max(worst, err);
                stepErrors[step] = err;
                if (System.getProperty("golden.debug") != null) System.out.println(model + " step " + step + " err " + err);
                if (gap(r) > 2 * err + 1e-5) {
                    assertEquals(g.generatedIds()[step], argmax(logits), model + " greedy token at step " + step);
                    greedyChecked++;
                }
                b.clear();
                b.add(cache, g.generatedIds()[step], cache.length(), true);
                tr.forward(b, logits);
            }
            java.util.Arrays.sort(stepErrors);
            double median = stepErrors[stepErrors.length / 2];
            System.out.printf("%-22s |logit error| median step %.3g, worst step %.3g over %d steps; greedy checked on %d steps%n",
                    model, median, worst, g.generatedIds().length, greedyChecked);
            assertTrue(median <= medianTolerance, model + ": median step logit error " + median + " exceeds " + medianTolerance);
            assertTrue(worst <= tolerance, model + ": max logit error " + worst + " exceeds " + tolerance);
        }
    }

    static double gap(float[] logits) {
        float a = Float.NEGATIVE_INFINITY, b = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            if (v > a) {
                b = a;
                a = v;
            } else if (v > b) {
                b = v;
            }
        }
        return a - b;
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    static void assertSameIds(int[] want, int[] got, String what) {
        assertArrayEquals(want, got, what);
    }
}
