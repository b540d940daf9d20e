package io.strata.worker;

import io.strata.inference.Generator;
import io.strata.inference.LocalModel;
import io.strata.inference.sampling.Sampler;
import io.strata.inference.sampling.SamplingParams;

import java.util.ArrayList;
import java.util.List;

/** The oracle of the split tests: the whole model in one process, greedy, with the logits of every step. */
public record SingleNodeReference(List<Integer> tokens, List<float[]> logits) {

    public static SingleNodeReference greedy(LocalModel m, int[] prompt, int steps) {
        List<Integer> tokens = new ArrayList<>();
        List<float[]> logits = new ArrayList<>();
        try (Generator g = new Generator(m, 128, 32)) {
            g.generate(prompt, new Sampler(SamplingParams.greedy(), m.config().vocabSize()), steps, t -> {
                logits.add(g.lastLogits().clone());
                tokens.add(t);
                return true;
            });
        }
        return new SingleNodeReference(tokens, logits);
    }
}
