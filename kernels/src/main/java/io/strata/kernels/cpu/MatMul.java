package io.strata.kernels.cpu;

import io.strata.kernels.InterleavedRows;
import io.strata.kernels.WeightMatrix;
import io.strata.model.tensor.DotProduct;
import io.strata.model.tensor.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * y = W x for a batch of activation rows: out[t * outStride + r] = dot(row r of W, row t of x). The activations
 * are converted once to the weight's dot format; weight rows are split across the thread team. Each thread takes
 * its rows 16 at a time (a chunk) and runs every 8-token tile of the batch over the chunk's rows, so the chunk's
 * weights and the tile's activations stay in cache; a row's tokens go through the kernel's token tiles
 * ({@link RowKernel#dotRow}), the tokens no token tile takes through its multi-row form where it has one, the
 * rest through the single-token form. Decode (a batch too small for any token tile) takes each thread's rows from
 * two places half its range apart ({@link RowKernel#dotStreams}): two streams from memory at once. Every (row, token)
 * result is bit-identical to the scalar {@code DotProduct}, whatever the batch size, tile or thread count.
 *
 * <p>The per-call state lives in fields so the loop body is one preallocated object: a call allocates nothing.
 * Vector API kernels run unless turned off, by the constructor or the system property {@code strata.vector=false}
 * (then everything runs the scalar reference).
 */
public final class MatMul {
    /** Rows per range unit: 16 floats = 64 bytes of each output row, so threads share at most a boundary line. */
    private static final int ROW_GRAIN = 16;
    /** Rows per cache chunk of a batch: every token tile runs over them before the next chunk. */
    private static final int ROW_CHUNK = 16;
    /** Pieces per thread at most, and the fewest rows a piece has: see {@link #piecesFor}. */
    private static final int PIECES_PER_THREAD = 8;
    private static final int PIECE_ROWS = 512;

    private final ThreadTeam team;
    private final boolean vector;
    private final boolean nativeKernels;
    private final ThreadTeam.RangeTask rowsTask = this::rows;

    private WeightMatrix w;
    private DotOperand x;
    private RowKernel kernel;
    private RowKernel batchedKernel;  // set when tokens mix the two orders: token t takes it where order[t]
    private boolean[] order;
    private int tokens;
    private float[] out;
    private MemorySegment outSegment;
    private MemorySegment interleaved; // the weights' interleaved copy where the kernel reads one, else null
    private int outStride;
    // the output arrays as segments, for the native kernels: a forward pass uses a handful, so after the first
    // token a product finds its array here and allocates nothing
    private final float[][] segmentArrays = new float[16][];
    private final MemorySegment[] segments = new MemorySegment[16];

    public MatMul(ThreadTeam team) {
        this(team, !"false".equalsIgnoreCase(System.getProperty("strata.vector")));
    }

    public MatMul(ThreadTeam team, boolean vectorKernels) {
        this(team, vectorKernels, vectorKernels);
    }

    /**
     * With {@code nativeKernels}, the Q8_0, Q4_0, Q4_K and Q6_K products run the native kernels where they are
     * available ({@link #int8Kernels()}); without, the Vector API ones (when {@code vectorKernels}). Same bits.
     */
    public MatMul(ThreadTeam team, boolean vectorKernels, boolean nativeKernels) {
        this.team = team;
        this.vector = vectorKernels;
        this.nativeKernels = nativeKernels && vectorKernels;
    }

    /**
     * Which kernels the products with int8 activations (Q8_0, Q4_0, Q4_K, Q6_K) run in this JVM: "native (AVX-512
     * VNNI)" or "native (AVX2)", or "Vector API" with the reason the native ones do not run.
     */
    public static String int8Kernels() {
        return NativeKernels.available() ? "native (" + NativeKernels.instructionSet() + ")"
                : "Vector API (native kernels " + NativeKernels.why() + ")";
    }

    public void apply(WeightMatrix weights, Activations input, int tokenCount, float[] output, int stride) {
        apply(weights, input, tokenCount, output, stride, null);
    }

    /**
     * As {@link #apply(WeightMatrix, Activations, int, float[], int)}, with the summation order chosen per token:
     * token t goes through llama.cpp's batched (tinyBLAS) order where {@code batchedOrder[t]}, through vec_dot's
     * otherwise. A continuous batch mixes prompt tokens with other sequences' decode tokens, and each must get the
     * bits it would get if its sequence ran alone. {@code batchedOrder == null} keeps the one-call rule (batched
     * order for every token of a call with two or more).
     */
    public void apply(WeightMatrix weights, Activations input, int tokenCount, float[] output, int stride,
                      boolean[] batchedOrder) {
        if (input.cols() != weights.cols()) {
            throw new IllegalArgumentException(weights.name() + ": input has " + input.cols() + " columns, the weight " + weights.cols());
        }
        long end = (long) (weights.rows() - 1) * weights.rowStride() + weights.rowBytes();
        if (end > weights.data().byteSize()) {
            throw new IllegalArgumentException(weights.name() + ": " + weights.rows() + " rows of " + weights.rowBytes()
                    + " bytes exceed the data (" + weights.data().byteSize() + " bytes)");
        }
        if (tokenCount < 0 || tokenCount > input.maxRows()
                || (tokenCount > 0 && (long) (tokenCount - 1) * stride + weights.rows() > output.length)) {
            throw new IllegalArgumentException(weights.name() + ": " + tokenCount + " tokens with stride " + stride
                    + " do not fit the input (" + input.maxRows() + " rows) or the output (" + output.length + ")");
        }
        this.w = weights;
        // llama.cpp multiplies a batch of two or more tokens through tinyBLAS, whose order differs for a few types
        boolean differs = DotProduct.batchedOrderDiffers(weights.type(), weights.cols());
        RowKernel plain = RowKernel.forWeights(weights.type(), weights.rows(), vector, nativeKernels);
        this.x = input.operandFor(weights.type(), tokenCount, !plain.takesRanges(), team);
        this.kernel = plain;
        this.batchedKernel = null;
        this.order = null;
        if (differs && batchedOrder == null && tokenCount > 1) {
            this.kernel = RowKernel.batched(weights.type());
        } else if (differs && batchedOrder != null) {
            int batched = 0;
            for (int t = 0; t < tokenCount; t++) {
                if (batchedOrder[t]) {
                    batched++;
                }
            }
            if (batched == tokenCount) {
                this.kernel = RowKernel.batched(weights.type());
            } else if (batched > 0) {
                this.batchedKernel = RowKernel.batched(weights.type());
                this.order = batchedOrder;
            }
        }
        this.tokens = tokenCount;
        this.out = output;
        this.outSegment = kernel.takesRanges() ? segmentOf(output) : null;
        this.interleaved = kernel.takesRanges() && weights.interleaved() != null ? weights.interleaved().segment() : null;
        this.outStride = stride;
        team.parallelForPieces(weights.rows(), ROW_GRAIN, piecesFor(weights.rows(), team.size()), rowsTask);
        this.w = null;
        this.x = null;
        this.out = null;
        this.outSegment = null;
        this.interleaved = null;
        this.order = null;
    }

    /**
     * {@code w} with the copies its native kernel reads in place of the mapped rows, made in {@code arena} when first
     * used, where the AVX-512 VNNI kernels run: Q4_0 matrices of whole 16-row groups in llama.cpp's repacked order,
     * and Q4_K matrices of whole 16-row groups ({@link InterleavedRows}); any other matrix as it is.
     */
    public static WeightMatrix withKernelLayout(WeightMatrix w, Arena arena) {
        boolean q4_0 = DotProduct.usesRepackedQ4_0(w.type(), w.rows());
        if (!NativeKernels.interleaves() || !(q4_0 || w.type() == GgmlType.Q4_K)
                || w.rows() % InterleavedRows.GROUP_ROWS != 0 || w.interleaved() != null) {
            return w;
        }
        int type = q4_0 ? NativeKernels.TYPE_Q4_0 : NativeKernels.TYPE_Q4_K;
        int blocks = w.cols() / w.type().blockSize();
        return w.withInterleaved(new InterleavedRows(w.rows(),
                () -> NativeKernels.interleave(type, w.data(), w.rowStride(), w.rows(), blocks, arena)));
    }

    /**
     * Pieces for a {@code rows}-row product on {@code threads} threads: one per thread for a small matrix, up to
     * {@link #PIECES_PER_THREAD} each for a large one, so a thread the machine slows holds the product up by one
     * piece, not by its share; a piece keeps {@link #PIECE_ROWS} rows or more, so each native call still streams.
     */
    static int piecesFor(int rows, int threads) {
        return Math.max(threads, Math.min(PIECES_PER_THREAD * threads, rows / PIECE_ROWS));
    }

    private MemorySegment segmentOf(float[] array) {
        for (int i = 0; i < segmentArrays.length; i++) {
            if (segmentArrays[i] == array) {
                return segments[i];
            }
            if (segmentArrays[i] == null) {
                segmentArrays[i] = array;
                segments[i] = MemorySegment.ofArray(array);
                return segments[i];
            }
        }
        return MemorySegment.ofArray(array); // more arrays than a forward pass has: correct, one small object
    }

    private void rows(int from, int to, int worker) {
        RowKernel k = kernel;
        DotOperand in = x;
        MemorySegment data = w.data();
        long rowBytes = w.rowStride(); // bytes from one row to the next: a column slice's rows are apart
        int n = tokens;
        float[] y = out;
        int stride = outStride;
        if (order != null) {
            mixedRows(from, to, in, data, rowBytes, n, y, stride);
            return;
        }
        if (k.takesRanges()) {
            k.rowRange(data, rowBytes, interleaved, from, to, in, n, outSegment, stride);
            return;
        }
        if (n < RowKernel.TOKEN_TILE && (n == 1 || k.tile() == 1) && k.tileTokens(in, 0, n) == 0) {
            streamedRows(k, from, to, in, data, rowBytes, n, y, stride);
            return;
        }
        int g = k.streamRows();
        // a chunk of rows at a time, each token tile over all rows of the chunk: the tile's activations and the
        // chunk's weights stay in cache (a whole prompt's activations would not); the tokens that no token tile
        // takes go through the row tiles, one token at a time
        for (int r0 = from; r0 < to; r0 += ROW_CHUNK) {
            int r1 = Math.min(to, r0 + ROW_CHUNK);
            int t0 = 0;
            for (; t0 + RowKernel.TOKEN_TILE <= n; t0 += RowKernel.TOKEN_TILE) {
                for (int r = r0; r < r1; r++) {
                    k.dotRow(data, r * rowBytes, in, t0, t0 + RowKernel.TOKEN_TILE, y, r, stride);
                }
            }
            if (t0 == n) {
                continue;
            }
            int tiled = k.tileTokens(in, t0, n);
            if (tiled > 0) {
                for (int r = r0; r < r1; r++) {
                    k.dotRow(data, r * rowBytes, in, t0, t0 + tiled, y, r, stride);
                }
                t0 += tiled;
            }
            int r = r0;
            if (g > 1) { // the multi-row form over neighbouring rows: the chunk is in cache already
                for (; r + 2 * g <= r1; r += 2 * g) {
                    for (int t = t0; t < n; t++) {
                        k.dotStreams(data, r * rowBytes, (r + g) * rowBytes, rowBytes, in, t, y, t * stride + r,
                                t * stride + r + g);
                    }
                }
            }
            for (; r < r1; r++) {
                k.dotRow(data, r * rowBytes, in, t0, n, y, r, stride);
            }
        }
    }

    /**
     * A batch too small for any token tile (decode): the range's rows from two places half the range apart
     * ({@link RowKernel#dotStreams}), every token of the batch per step, so the thread streams two regions of the
     * matrix at once and the step's weights stay in cache across the tokens.
     */
    private static void streamedRows(RowKernel k, int from, int to, DotOperand in, MemorySegment data,
                                     long rowBytes, int n, float[] y, int stride) {
        int g = k.streamRows();
        int half = (to - from) / (2 * g) * g;
        for (int a = from; a < from + half; a += g) {
            int b = a + half;
            for (int t = 0; t < n; t++) {
                k.dotStreams(data, a * rowBytes, b * rowBytes, rowBytes, in, t, y, t * stride + a, t * stride + b);
            }
        }
        for (int r = from + 2 * half; r < to; r++) {
            k.dotRow(data, r * rowBytes, in, 0, n, y, r, stride);
        }
    }

    /** Rows whose tokens mix the two orders: one token at a time, each through its own order's kernel. */
    private void mixedRows(int from, int to, DotOperand in, MemorySegment data, long rowBytes, int n, float[] y,
                           int stride) {
        RowKernel plain = kernel;
        RowKernel batched = batchedKernel;
        boolean[] batchedOrder = order;
        for (int r = from; r < to; r++) {
            long off = r * rowBytes;
            for (int t = 0; t < n; t++) {
                y[t * stride + r] = (batchedOrder[t] ? batched : plain).dot(data, off, in, t);
            }
        }
    }
}
