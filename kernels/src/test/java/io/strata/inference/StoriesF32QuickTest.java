package io.strata.inference;

import io.strata.model.arch.ModelConfig;
import io.strata.model.gguf.GgufFile;
import io.strata.model.store.ModelLocator;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class StoriesF32QuickTest {
    @Test
    void teacherForcedLogitsMatchLlamaCpp() {
        try (GgufFile f = GgufFile.open(ModelLocator.fromEnvironment().locate("stories260K.gguf"))) {
            ModelConfig c = ModelConfig.fromGguf(f.metadata(), f.name());
            ModelWeights w = ModelWeights.load(f, c);
            Transformer tr = new Transformer(c, w, 64, 256);
            GoldenReference g = GoldenReference.greedy("stories260K", true);
            List<float[]> ref = GoldenReference.logits("stories260K", true);
            KvCache cache = new KvCache(c, 256);
            Batch b = new Batch(64);
            float[] logits = new float[c.vocabSize()];
            b.addSequence(cache, g.promptIds(), 0, g.promptIds().length);
            tr.forward(b, logits);
            double worst = 0;
            for (int step = 0; step < g.generatedIds().length; step++) {
                float[] r = ref.get(step);
                for (int i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(r[i] - logits[i]));
                b.clear();
                b.add(cache, g.generatedIds()[step], cache.length(), true);
                tr.forward(b, logits);
            }
            System.out.println("max abs logit error " + worst);
            assertTrue(worst < 1e-4, "max error " + worst);
        }
    }
}
