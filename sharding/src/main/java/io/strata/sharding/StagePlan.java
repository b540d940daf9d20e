package io.strata.sharding;

import java.util.List;
import java.util.Objects;

/**
 * One pipeline stage of a replica: the contiguous layers {@code [l0, l1)} it runs, and its tensor-parallel ranks.
 * Stage 0 embeds the tokens; the last stage applies the final norm and output head and samples.
 */
public record StagePlan(int stage, Span layers, boolean embedsTokens, boolean computesLogits, List<RankPlan> ranks) {
    public StagePlan {
        Objects.requireNonNull(layers, "layers");
        ranks = List.copyOf(ranks);
    }
}
