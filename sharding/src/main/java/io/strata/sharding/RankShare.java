package io.strata.sharding;

/**
 * The part of each {@link Axis} one tensor-parallel rank owns, the same in every layer of its stage.
 *
 * @param queryHeads query heads {@code [h0, h1)}
 * @param kvHeads    KV heads {@code [g0, g1)}; with grouped-query attention exactly the KV heads its query heads use
 * @param ffn        feed-forward elements (gate/up rows, down columns), on ffn_down's block boundaries
 * @param vocab      vocabulary rows of the token embedding and output head
 */
public record RankShare(Span queryHeads, Span kvHeads, Span ffn, Span vocab) {

    /** The rank's span of {@code axis} in elements (rows for the vocabulary). */
    public Span span(final Axis axis, final int headDim) {
        return switch (axis) {
            case QUERY_HEADS -> queryHeads.times(headDim);
            case KV_HEADS -> kvHeads.times(headDim);
            case FFN -> ffn;
            case VOCAB -> vocab;
        };
    }
}
