package io.strata.inference;

import java.util.Objects;

/**
 * A transformer's share of a tensor-parallel stage (Megatron's split): rank {@code rank} of {@code ranks} holds
 * 1/ranks of the attention heads and KV heads (column-parallel q/k/v), of the FFN rows (column-parallel gate/up)
 * and of the vocabulary (the output head), and the matching input columns of the attention output and down
 * projections (row-parallel), whose partial sums the {@link Collective} adds up across ranks. The residual stream
 * is replicated: after each sum every rank holds the same bits.
 */
public record TensorParallel(int rank, int ranks, Collective collective) {

    /** The collectives among a stage's ranks (over Aeron between processes: io.strata.transport.AllReduce). */
    public interface Collective {
        /** data[offset .. offset+n) = its sum over all ranks, the same bits on every rank. */
        void sum(float[] data, int offset, int n);

        /** out[outOffset + r*n ..] = rank r's part[partOffset .. partOffset+n), for every rank r. */
        void gather(float[] part, int partOffset, int n, float[] out, int outOffset);
    }

    public TensorParallel {
        Objects.requireNonNull(collective, "collective");
        if (ranks < 1 || rank < 0 || rank >= ranks) {
            throw new IllegalArgumentException("rank " + rank + " of " + ranks + " ranks");
        }
    }

    /** [from, to) of {@code total} items (heads, rows) that this rank holds; total must divide evenly. */
    public int from(int total) {
        return rank * (total / ranks);
    }

    public int to(int total) {
        return (rank + 1) * (total / ranks);
    }
}
