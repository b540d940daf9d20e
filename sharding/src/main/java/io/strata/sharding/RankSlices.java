package io.strata.sharding;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The slices one rank maps, from the tensor rules and the rank's share: pure functions, used both to cost a
 * candidate layer range and to write the final plan, so the two never disagree.
 */
final class RankSlices {
    /** F32 keys and values, as {@code io.strata.inference.KvCache} stores them today. */
    static final long KV_BYTES_PER_ELEMENT = Float.BYTES;

    private RankSlices() {}

    /** The slices of the layers in {@code layers}. */
    static List<TensorSlice> ofLayers(final List<TensorRules.Placement> placements, final RankShare share,
                                      final int rank, final int headDim, final Span layers) {
        final List<TensorSlice> out = new ArrayList<>();
        for (final TensorRules.Placement p : placements) {
            if (p.scope() == TensorRules.Scope.LAYER && layers.contains(p.layer())) {
                addSlice(out, p, share, rank, headDim, null);
            }
        }
        return out;
    }

    /** The slices outside the blocks that a stage needs: embedding on the first, norm and head on the last. */
    static List<TensorSlice> ofStage(final List<TensorRules.Placement> placements, final RankShare share,
                                     final int rank, final int headDim, final boolean first, final boolean last,
                                     final boolean tiedOutput) {
        final List<TensorSlice> out = new ArrayList<>();
        for (final TensorRules.Placement p : placements) {
            final boolean held = switch (p.scope()) {
                case LAYER -> false;
                case FIRST_STAGE -> first;
                case LAST_STAGE -> last;
                case EVERY_STAGE -> true;
            };
            if (held) {
                addSlice(out, p, share, rank, headDim, null);
            }
            if (last && tiedOutput && p.tensor().name().equals(TensorRules.TOKEN_EMBEDDING)) {
                addSlice(out, p, share, rank, headDim, TensorSlice.Role.TIED_OUTPUT);
            }
        }
        return out;
    }

    private static void addSlice(final List<TensorSlice> out, final TensorRules.Placement p, final RankShare share,
                                 final int rank, final int headDim, final TensorSlice.Role forcedRole) {
        final WeightTensor t = p.tensor();
        final Span allRows = Span.of(0, t.rows());
        final Span allColumns = Span.of(0, t.columns());
        final TensorSlice.Role owned = forcedRole == null ? TensorSlice.Role.OWNED : forcedRole;
        final TensorSlice s = switch (p.cut()) {
            case Cut.Rows(Axis axis) -> TensorSlice.of(t, owned, share.span(axis, headDim), allColumns);
            case Cut.Columns(Axis axis) -> TensorSlice.of(t, owned, allRows, share.span(axis, headDim));
            case Cut.Whole() -> TensorSlice.of(t, TensorSlice.Role.REPLICATED, allRows, allColumns);
            case Cut.FirstRankOnly() -> rank == 0 ? TensorSlice.of(t, owned, allRows, allColumns) : null;
        };
        if (s != null) {
            out.add(s);
        }
    }

    /** Bytes mapped for these slices; two slices of the same region (a tied head on a one-stage plan) count once. */
    static long weightBytes(final List<TensorSlice> slices) {
        final Set<List<Object>> seen = new HashSet<>();
        long sum = 0;
        for (final TensorSlice s : slices) {
            if (seen.add(List.of(s.tensor(), s.rows(), s.columns()))) {
                sum = Math.addExact(sum, s.bytes());
            }
        }
        return sum;
    }

    /** V positions are stored in groups of 32 ({@code KvCache.valueStride()}). */
    static final int VALUE_POSITION_GROUP = 32;

    /**
     * KV cache of one layer on one rank, as {@code KvCache} allocates it per slot: keys for the context, values
     * for the context rounded up to {@link #VALUE_POSITION_GROUP}, of the rank's KV heads.
     */
    static long kvBytesPerLayer(final RankShare share, final int headDim, final int contextLength, final int slots) {
        final long valuePositions = (contextLength + VALUE_POSITION_GROUP - 1L) / VALUE_POSITION_GROUP
                * VALUE_POSITION_GROUP;
        final long perSlot = (contextLength + valuePositions) * share.kvHeads().length() * headDim;
        return Math.multiplyExact(Math.multiplyExact(perSlot, slots), KV_BYTES_PER_ELEMENT);
    }
}
