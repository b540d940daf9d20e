package io.strata.inference;

import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;
import io.strata.model.store.ModelLocator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationTest {

    private static LocalModel stories() {
        return LocalModel.open(ModelLocator.fromEnvironment().locate("stories260K.gguf"));
    }

    @Test
    void greedyGenerationReproducesLlamaCppTokenForToken() {
        GoldenReference g = GoldenReference.greedy("stories260K", true);
        try (LocalModel m = stories(); Generator gen = new Generator(m, 128, 8)) {
            int[] prompt = m.tokenizer().encode("Once upon a time", true, false);
            assertArrayEquals(g.promptIds(), prompt);
            List<Integer> out = new ArrayList<>();
            gen.generate(prompt, new Sampler(SamplingParams.greedy(), m.config().vocabSize()), g.generatedIds().length, out::add);
            assertArrayEquals(g.generatedIds(), out.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    @Test
    void sameSeedGivesSameTokensAndDifferentSeedsDiffer() {
        try (LocalModel m = stories(); Generator gen = new Generator(m, 128, 8)) {
            int[] prompt = m.tokenizer().encode("Once upon a time", true, false);
            SamplingParams p = SamplingParams.defaults().withTemperature(1.0f).withSeed(7);
            List<Integer> a = new ArrayList<>();
            List<Integer> b = new ArrayList<>();
            List<Integer> c = new ArrayList<>();
            gen.generate(prompt, new Sampler(p, m.config().vocabSize()), 32, a::add);
            gen.generate(prompt, new Sampler(p, m.config().vocabSize()), 32, b::add);
            gen.generate(prompt, new Sampler(p.withSeed(8), m.config().vocabSize()), 32, c::add);
            assertEquals(a, b);
            assertTrue(!a.equals(c), "different seeds should give different text");
        }
    }

    @Test
    void oneBatchMixingAPrefillAndADecodeEqualsSeparateRuns() {
        try (LocalModel m = stories(); Transformer tr = m.newTransformer(16, 64)) {
            int v = m.config().vocabSize();
            int[] a = m.tokenizer().encode("Once upon a time", true, false);
            int[] b = m.tokenizer().encode("The cat sat on the mat", true, false);
            // separately: a fully, then b's prefix and its last token
            KvCache ca = new KvCache(m.config(), 64);
            KvCache cb = new KvCache(m.config(), 64);
            Batch batch = new Batch(16);
            float[] logitsA = new float[v];
            float[] logitsB = new float[v];
            batch.addSequence(ca, a, 0, a.length);
            tr.forward(batch, logitsA);
            batch.clear();
            batch.addSequence(cb, b, 0, b.length);
            tr.forward(batch, logitsB);

            // together: b's prefix first, then one batch with a's whole prompt and b's last token
            KvCache ca2 = new KvCache(m.config(), 64);
            KvCache cb2 = new KvCache(m.config(), 64);
            batch.clear();
            batch.addSequence(cb2, b, 0, b.length - 1);
            tr.forward(batch, new float[v]);
            batch.clear();
            int rowA = batch.addSequence(ca2, a, 0, a.length);
            int rowB = batch.add(cb2, b[b.length - 1], b.length - 1, true);
            float[] both = new float[2 * v];
            tr.forward(batch, both);
            for (int i = 0; i < v; i++) {
                assertEquals(logitsA[i], both[rowA * v + i], 1e-5, "sequence a, token " + i);
                assertEquals(logitsB[i], both[rowB * v + i], 1e-5, "sequence b, token " + i);
            }
            assertEquals(a.length, ca2.length());
            assertEquals(b.length, cb2.length());
        }
    }

    @Test
    void aPromptLongerThanTheContextIsRefusedWithItsLength() {
        try (LocalModel m = stories(); Generator gen = new Generator(m, 8, 8)) {
            int[] prompt = new int[20];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> gen.generate(prompt, new Sampler(SamplingParams.greedy(), m.config().vocabSize()), 4, t -> true));
            assertTrue(e.getMessage().contains("20 tokens") && e.getMessage().contains("context of 8"), e.getMessage());
        }
    }

    @Test
    void aCachedPrefixIsReusedAndGivesTheSameContinuation() {
        try (LocalModel m = stories(); Generator gen = new Generator(m, 128, 4)) {
            int[] prompt = m.tokenizer().encode("Once upon a time, there was a", true, false);
            List<Integer> first = new ArrayList<>();
            List<Integer> second = new ArrayList<>();
            gen.generate(prompt, new Sampler(SamplingParams.greedy(), m.config().vocabSize()), 10, first::add);
            gen.generate(prompt, new Sampler(SamplingParams.greedy(), m.config().vocabSize()), 10, second::add);
            assertEquals(first, second);
        }
    }
}
