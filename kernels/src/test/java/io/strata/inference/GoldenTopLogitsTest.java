package io.strata.inference;

import io.strata.model.store.ModelLocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The models whose references list only each step's top-5 logits (random weights, large vocabularies): the prompt
 * must tokenize to llama.cpp's ids, and, teacher-forced on the reference tokens, our logits of those five ids must
 * match at every step.
 */
class GoldenTopLogitsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "synth-llama3-Q8_0,   1e-4",
            "synth-qwen2-Q8_0,    1e-4",
            "llama-2-tiny-random, 1e-4",
    })
    void promptIdsAndTopLogitsMatchLlamaCpp(String model, double tolerance) {
        GoldenReference g = GoldenReference.greedy(model, true);
        try (LocalModel m = LocalModel.open(ModelLocator.fromEnvironment().locate(model + ".gguf"));
             Transformer tr = m.newTransformer(16, 64)) {
            int[] prompt = m.tokenizer().encode("Once upon a time", true, false);
            assertArrayEquals(g.promptIds(), prompt, model + ": prompt ids");
            KvCache cache = new KvCache(m.config(), 64);
            Batch b = new Batch(16);
            float[] logits = new float[m.config().vocabSize()];
            b.addSequence(cache, prompt, 0, prompt.length);
            tr.forward(b, logits);
            double worst = 0;
            for (int step = 0; step < g.generatedIds().length; step++) {
                int[] ids = g.top5Ids().get(step);
                float[] want = g.top5Logits().get(step);
                for (int i = 0; i < ids.length; i++) {
                    worst = Math.max(worst, Math.abs(want[i] - logits[ids[i]]));
                }
                b.clear();
                b.add(cache, g.generatedIds()[step], cache.length(), true);
                tr.forward(b, logits);
            }
            System.out.printf("%-20s top-5 |logit error| %.3g over %d steps%n", model, worst, g.generatedIds().length);
            assertTrue(worst <= tolerance, model + ": top-5 logit error " + worst + " exceeds " + tolerance);
        }
    }
}
