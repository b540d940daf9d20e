package io.strata.sharding;

import io.strata.model.arch.ModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * How {@code ranks} tensor-parallel ranks divide a model's heads, feed-forward rows and vocabulary, checked
 * against every rule that makes a cut legal:
 * <ul>
 *   <li>the rank count divides the KV heads (each rank keeps whole KV heads and the query heads that use them);</li>
 *   <li>every column cut ({@link Cut.Columns}: attention output, down, biases) starts and ends on a quantization
 *       block boundary of that tensor's type; the feed-forward split is made in whole blocks of the largest
 *       block size among the tensors cut along it, so down can always be cut where gate and up are;</li>
 *   <li>there are at least as many feed-forward blocks and vocabulary rows as ranks.</li>
 * </ul>
 * Row cuts (q, k, v, gate, up, embedding, output) take whole rows and are legal for every type.
 */
record TensorParallelSplit(int ranks, long ffnBlock, List<RankShare> shares) {

    static TensorParallelSplit of(final ModelTensors model, final List<TensorRules.Placement> placements,
                                  final int ranks) {
        final String problem = problem(model, placements, ranks);
        if (problem != null) {
            throw new PlanException(problem + "; use " + orList(workingRankCounts(model, placements)));
        }
        return build(model.config(), ffnBlock(placements), ranks);
    }

    /** The tensor-parallel rank counts this model can be split into, ascending. */
    static List<Integer> workingRankCounts(final ModelTensors model, final List<TensorRules.Placement> placements) {
        return IntStream.rangeClosed(1, model.config().kvHeadCount())
                .filter(n -> problem(model, placements, n) == null).boxed().toList();
    }

    private static String problem(final ModelTensors model, final List<TensorRules.Placement> placements,
                                  final int ranks) {
        final ModelConfig c = model.config();
        if (ranks < 1) {
            return "tensor_parallel " + ranks + " must be at least 1";
        }
        if (c.kvHeadCount() % ranks != 0) {
            return "tensor_parallel " + ranks + " does not divide the " + c.kvHeadCount() + " KV heads";
        }
        final long block = ffnBlock(placements);
        final long ffnBlocks = c.feedForwardLength() / block;
        if (c.feedForwardLength() % block != 0 || ffnBlocks < ranks) {
            return "tensor_parallel " + ranks + " cannot split feed_forward_length " + c.feedForwardLength()
                    + " into whole blocks of " + block + " for every rank";
        }
        if (c.vocabSize() < ranks) {
            return "tensor_parallel " + ranks + " is more than the " + c.vocabSize() + " vocabulary rows";
        }
        final TensorParallelSplit split = build(c, block, ranks);
        for (final TensorRules.Placement p : placements) {
            if (p.cut() instanceof Cut.Columns(Axis axis)) {
                final int typeBlock = p.tensor().type().blockSize();
                for (int r = 0; r < ranks; r++) {
                    final Span cols = split.shares.get(r).span(axis, c.headDim());
                    if (cols.start() % typeBlock != 0 || cols.end() % typeBlock != 0) {
                        return "tensor_parallel " + ranks + " would give rank " + r + " columns " + cols + " of "
                                + p.tensor().name() + ", which is " + p.tensor().type() + " in blocks of "
                                + typeBlock + " columns (a quantized row is cut only at block boundaries)";
                    }
                }
            }
        }
        return null;
    }

    /** The unit of the feed-forward split: the least common multiple of the block sizes of its column cuts. */
    private static long ffnBlock(final List<TensorRules.Placement> placements) {
        long block = 1;
        for (final TensorRules.Placement p : placements) {
            if (p.cut() instanceof Cut.Columns(Axis axis) && axis == Axis.FFN) {
                block = lcm(block, p.tensor().type().blockSize());
            }
        }
        return block;
    }

    private static TensorParallelSplit build(final ModelConfig c, final long ffnBlock, final int ranks) {
        final List<RankShare> shares = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            shares.add(new RankShare(
                    Span.part(c.headCount(), r, ranks),
                    Span.part(c.kvHeadCount(), r, ranks),
                    Span.part(c.feedForwardLength() / ffnBlock, r, ranks).times(ffnBlock),
                    Span.part(c.vocabSize(), r, ranks)));
        }
        return new TensorParallelSplit(ranks, ffnBlock, List.copyOf(shares));
    }

    private static long lcm(final long a, final long b) {
        long x = a;
        long y = b;
        while (y != 0) {
            final long t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    /** "1, 2, 4 or 8". */
    static String orList(final List<Integer> values) {
        if (values.isEmpty()) {
            return "a model whose tensors can be split (none can)";
        }
        if (values.size() == 1) {
            return String.valueOf(values.getFirst());
        }
        final List<String> s = values.stream().map(String::valueOf).toList();
        return String.join(", ", s.subList(0, s.size() - 1)) + " or " + s.getLast();
    }
}
