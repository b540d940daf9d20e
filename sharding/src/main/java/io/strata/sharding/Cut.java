package io.strata.sharding;

/**
 * How one weight is divided among the tensor-parallel ranks of the stage that holds it.
 * GGUF matrices are row-major with {@code rows} = output features and {@code columns} = input features, so:
 * <ul>
 *   <li>{@link Rows}: each rank owns whole rows = a range of output features. Megatron's "column-parallel"
 *       layers (q, k, v, gate, up) and the vocabulary-split embedding and output head. Any type may be cut
 *       here, because quantization blocks never cross a row.</li>
 *   <li>{@link Columns}: each rank owns the same column range of every row = a range of input features.
 *       Megatron's "row-parallel" layers (attention output, down), whose partial products are summed by an
 *       all-reduce. The range must start and end on a quantization block boundary.</li>
 *   <li>{@link Whole}: every rank holds all of it (norm weights, q/k norms, rope factors).</li>
 *   <li>{@link FirstRankOnly}: rank 0 holds all of it, the others none (a bias added once to the sum after a
 *       row-parallel layer).</li>
 * </ul>
 */
public sealed interface Cut {
    record Rows(Axis axis) implements Cut {}

    record Columns(Axis axis) implements Cut {}

    record Whole() implements Cut {}

    record FirstRankOnly() implements Cut {}
}
