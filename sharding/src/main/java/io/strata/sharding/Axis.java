package io.strata.sharding;

/**
 * A dimension that tensor-parallel ranks divide among themselves. Each rank owns one contiguous
 * {@link Span} of every axis ({@link RankShare}), in elements: a rank's query heads are
 * {@code [h0 * headDim, h1 * headDim)} of the query dimension.
 */
public enum Axis {
    /** The query dimension, whole heads: headCount x headDim. */
    QUERY_HEADS,
    /** The key and value dimension, whole KV heads (each with its group of query heads): kvHeadCount x headDim. */
    KV_HEADS,
    /** The feed-forward dimension, in whole quantization blocks of ffn_down's rows. */
    FFN,
    /** The vocabulary: rows of the token embedding and of the output head. */
    VOCAB
}
