package io.strata.sharding;

import java.util.List;
import java.util.Objects;

/**
 * One worker's job: rank {@code rank} of its stage, owning {@code share} of the heads, feed-forward rows and
 * vocabulary, and mapping exactly {@code slices} of the model file.
 */
public record RankPlan(int rank, String worker, RankShare share, List<TensorSlice> slices, MemoryEstimate memory) {
    public RankPlan {
        Objects.requireNonNull(worker, "worker");
        Objects.requireNonNull(share, "share");
        Objects.requireNonNull(memory, "memory");
        slices = List.copyOf(slices);
    }

    /** The slice of a tensor with this name and role, or null. */
    public TensorSlice slice(final String tensor, final TensorSlice.Role role) {
        return slices.stream().filter(s -> s.tensor().equals(tensor) && s.role() == role).findFirst().orElse(null);
    }
}
