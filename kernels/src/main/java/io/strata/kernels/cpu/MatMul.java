package io.strata.kernels.cpu;

import io.strata.kernels.WeightMatrix;
import io.strata.model.tensor.DotProduct;
import io.strata.model.tensor.GgmlType;
import io.strata.model.tensor.QuantizedActivations;

/**
 * y = W x for a batch of activation rows: out[t * outStride + r] = dot(row r of W, row t of x). The activations
 * are converted once to the weight's dot format; weight rows are split across the thread team, and each row is
 * read once for the whole batch. The per-call state lives in fields so the loop body is one preallocated object.
 */
public final class MatMul {
    private final ThreadTeam team;
    private final ThreadTeam.RangeTask rowsTask = this::rows;

    private WeightMatrix w;
    private QuantizedActivations x;
    private int tokens;
    private float[] out;
    private int outStride;
    private boolean repackedQ4_0;
    private boolean batched;

    public MatMul(ThreadTeam team) {
        this.team = team;
    }

    public void apply(WeightMatrix weights, Activations input, int tokenCount, float[] output, int stride) {
        if (input.cols() != weights.cols()) {
            throw new IllegalArgumentException(weights.name() + ": input has " + input.cols() + " columns, the weight " + weights.cols());
        }
        this.w = weights;
        // llama.cpp multiplies a batch of two or more tokens through other kernels (tinyBLAS) than a single token
        this.batched = tokenCount > 1;
        this.x = input.convertedTo(batched ? DotProduct.batchedVecDotType(weights.type(), weights.cols())
                : QuantizedActivations.vecDotType(weights.type()), tokenCount);
        this.tokens = tokenCount;
        this.out = output;
        this.outStride = stride;
        this.repackedQ4_0 = DotProduct.usesRepackedQ4_0(weights.type(), weights.rows());
        // 16 rows per range: 64 bytes of floats per output row, so no two threads write one cache line
        team.parallelFor(weights.rows(), 16, rowsTask);
        this.w = null;
        this.x = null;
        this.out = null;
    }

    private void rows(int from, int to, int worker) {
        WeightMatrix m = w;
        QuantizedActivations in = x;
        GgmlType type = m.type();
        int n = m.cols();
        long rowBytes = m.rowBytes();
        for (int r = from; r < to; r++) {
            long off = r * rowBytes;
            for (int t = 0; t < tokens; t++) {
                out[t * outStride + r] = repackedQ4_0 ? DotProduct.dotQ4_0Repacked(m.data(), off, in, t * n, n)
                        : batched ? DotProduct.batchedDot(type, m.data(), off, in, t * n, n)
                        : DotProduct.dot(type, m.data(), off, in, t * n, n);
            }
        }
    }
}
