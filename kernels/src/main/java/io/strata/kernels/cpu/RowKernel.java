package io.strata.kernels.cpu;

import io.strata.kernels.InterleavedRows;
import io.strata.model.tensor.DotProduct;
import io.strata.model.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * The dot products of one weight type that {@link MatMul} runs per row: a single-token form, a tile form that
 * reads each weight block once for {@link #tile()} consecutive tokens, {@link #dotRow} over a span of tokens (the
 * wide kernels' 8-token tiles, {@link VectorTileDots}) and a two-place form for decode ({@link #dotStreams}: rows
 * from two places of the matrix times one token; {@link VectorLegacyDots#q8_0Pair}, {@link VectorRowTileDots}). All
 * give, for every
 * (row, token), exactly the bits of {@link DotProduct#dot} (or {@link DotProduct#dotQ4_0Repacked}): a tile only
 * shares the loading and unpacking of weights or activations, never an accumulator.
 *
 * <p>{@link #forWeights} picks the Vector API kernel of the type where there is one ({@link VectorLegacyDots},
 * {@link VectorKQuantDots}, {@link VectorFloatDots}) and the scalar reference otherwise, or always when vector
 * kernels are switched off.
 *
 * <p>The quantized kernels ({@link VectorLegacyDots}, {@link VectorTileDots}, {@link VectorRowTileDots},
 * {@link VectorKQuantDots}) are compilation boundaries, so that their vectors stay in registers whatever the JIT history: each is one method
 * larger than C2's FreqInlineSize, so it is compiled on its own and never inlined into a caller (into
 * {@link MatMul}'s loops, next to another kernel, where the node budget runs out and the vectors become heap
 * objects), and each calls no project method that takes or returns a vector (such a call is refused once the
 * compilation is past NodeCountInliningCutoff, or once the helper is compiled on its own into a big method). The
 * kernels here call them with scalars and arrays only. {@code KernelShapeTest} checks both rules on the class files.
 */
abstract class RowKernel {
    private final int tile;

    private RowKernel(int tile) {
        this.tile = tile;
    }

    /** Row (at byte {@code row} of {@code w}) times token {@code token}'s activations. */
    abstract float dot(MemorySegment w, long row, DotOperand x, int token);

    /** Tokens token .. token + tile() − 1; token + i's result goes to out[o + i·stride]. */
    abstract void dotTile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride);

    /** Tokens per {@link #dotTile}; 1 when the kernel has no tile form. */
    final int tile() {
        return tile;
    }

    /**
     * Tokens from .. to − 1 of one row: token t's result goes to out[t·stride + r]. {@code from} is a multiple of
     * {@link #TOKEN_TILE} (wide tiles are aligned to it). Tiles where they fit, then single tokens.
     */
    void dotRow(MemorySegment w, long row, DotOperand x, int from, int to, float[] out, int r, int stride) {
        int t = from;
        if (tile > 1) {
            for (; t + tile <= to; t += tile) {
                dotTile(w, row, x, t, out, t * stride + r, stride);
            }
        }
        for (; t < to; t++) {
            out[t * stride + r] = dot(w, row, x, t);
        }
    }

    /**
     * How many of tokens from .. to − 1 {@link #dotRow} takes in token tiles (from a multiple of
     * {@link #TOKEN_TILE}); {@link MatMul} runs the others through {@link #dotStreams}. 0 for
     * the kernels without wide tiles (their two-token tile is not counted: it shares less than a multi-row form).
     */
    int tileTokens(DotOperand x, int from, int to) {
        return 0;
    }

    /**
     * Rows per stream of {@link #dotStreams}: 1 for most kernels, 2 for the repacked Q4_0 row tile (two rows side
     * by side in each 512-bit vector, from each of two places).
     */
    int streamRows() {
        return 1;
    }

    /**
     * {@link #streamRows()} consecutive rows (rowBytes apart) from each of two places, rowA and rowB, times one
     * token: row rowA + i·rowBytes to out[oA + i], rowB + i·rowBytes to out[oB + i]. {@link MatMul} runs decode
     * through it with the two places half a thread's range apart, so each thread streams two regions of the matrix
     * at once (one region alone does not keep the prefetchers busy); the kernels with a multi-row form read both
     * places in one loop and share the token's activations, the others take the rows one after the other.
     */
    void dotStreams(MemorySegment w, long rowA, long rowB, long rowBytes, DotOperand x, int token, float[] out,
                    int oA, int oB) {
        for (int i = 0; i < streamRows(); i++) {
            out[oA + i] = dot(w, rowA + i * rowBytes, x, token);
            out[oB + i] = dot(w, rowB + i * rowBytes, x, token);
        }
    }

    /**
     * Whether the kernel takes a thread's whole range of rows and every token in one call ({@link #rowRange}): the
     * native kernels, which choose their own tiles.
     */
    boolean takesRanges() {
        return false;
    }

    /**
     * Rows from .. to − 1 (rowBytes apart) times tokens 0 .. tokens − 1: token t's result for row r goes to
     * out[t·stride + r], {@code out} the output array as a segment; {@code interleaved} the rows' interleaved
     * copy ({@link InterleavedRows}), or null. Only where {@link #takesRanges()}.
     */
    void rowRange(MemorySegment w, long rowBytes, MemorySegment interleaved, int from, int to, DotOperand x,
                  int tokens, MemorySegment out, int stride) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " takes rows one at a time");
    }

    /** The token span that {@link MatMul} hands to {@link #dotRow} per row: the largest tile. */
    static final int TOKEN_TILE = VectorTileDots.TILE;

    private static final RowKernel[] SCALAR = new RowKernel[GgmlType.values().length];
    private static final RowKernel[] VECTOR = new RowKernel[GgmlType.values().length];
    private static final RowKernel SCALAR_Q4_0_REPACKED = new ScalarQ4_0Repacked();
    private static final RowKernel VECTOR_Q4_0_REPACKED = VectorLanes.WIDE ? new WideTiles(VectorRowTileDots.ROWS / 2) {
        float dot(MemorySegment w, long row, DotOperand x, int token) {
            return VectorLegacyDots.q4_0Repacked(w, row, x, token);
        }

        void tile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
            VectorTileDots.q4_0Repackedx8(w, row, x, token, out, o, stride);
        }

        void smallTile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
            VectorTileDots.q4_0Repackedx4(w, row, x, token, out, o, stride);
        }

        @Override
        void dotStreams(MemorySegment w, long rowA, long rowB, long rowBytes, DotOperand x, int token, float[] out,
                        int oA, int oB) {
            VectorRowTileDots.q4_0Repacked(w, rowA, rowB, rowBytes, x, token, out, oA, oB);
        }
    } : new Tiled(2) {
        float dot(MemorySegment w, long row, DotOperand x, int token) {
            return VectorLegacyDots.q4_0Repacked(w, row, x, token);
        }

        void dotTile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
            VectorLegacyDots.q4_0Repackedx2(w, row, x, token, out, o, stride);
        }

    };

    static {
        for (GgmlType t : GgmlType.values()) {
            SCALAR[t.ordinal()] = new Scalar(t);
            VECTOR[t.ordinal()] = vectorKernel(t);
        }
    }

    /**
     * The kernel for a {@code rows}-row matrix of {@code type}: repacked Q4_0 where llama.cpp repacks
     * ({@link DotProduct#usesRepackedQ4_0}), a vector kernel when {@code vector} and the type has one. Kernels are
     * stateless and shared, so choosing one allocates nothing.
     */
    static RowKernel forWeights(GgmlType type, int rows, boolean vector) {
        return forWeights(type, rows, vector, vector);
    }

    /** {@link #forWeights(GgmlType, int, boolean)}, the native kernels only where {@code nativeKernels}. */
    static RowKernel forWeights(GgmlType type, int rows, boolean vector, boolean nativeKernels) {
        boolean repacked = DotProduct.usesRepackedQ4_0(type, rows);
        if (nativeKernels && NativeKernels.available()) {
            if (repacked) {
                return NATIVE_Q4_0_REPACKED;
            }
            if (type == GgmlType.Q8_0) {
                return NATIVE_Q8_0;
            }
            if (type == GgmlType.Q4_0) {
                return NATIVE_Q4_0;
            }
            if (type == GgmlType.Q4_K) {
                return NATIVE_Q4_K;
            }
            if (type == GgmlType.Q6_K) {
                return NATIVE_Q6_K;
            }
        }
        if (repacked) {
            return vector ? VECTOR_Q4_0_REPACKED : SCALAR_Q4_0_REPACKED;
        }
        return (vector ? VECTOR : SCALAR)[type.ordinal()];
    }

    private static final RowKernel NATIVE_Q8_0 = new Native(GgmlType.Q8_0, NativeKernels.TYPE_Q8_0, false);
    private static final RowKernel NATIVE_Q4_0 = new Native(GgmlType.Q4_0, NativeKernels.TYPE_Q4_0, false);
    private static final RowKernel NATIVE_Q4_0_REPACKED = new Native(GgmlType.Q4_0, NativeKernels.TYPE_Q4_0, true);
    private static final RowKernel NATIVE_Q4_K = new Native(GgmlType.Q4_K, NativeKernels.TYPE_Q4_K, false);
    private static final RowKernel NATIVE_Q6_K = new Native(GgmlType.Q6_K, NativeKernels.TYPE_Q6_K, false);

    /**
     * The native kernels ({@link NativeKernels}): a thread's rows and all tokens in one call. A single (row, token)
     * (the mixed-order path, which these types never take) goes through the scalar reference.
     */
    private static final class Native extends Untiled {
        private final GgmlType weights;
        private final int type; // the library's name for it, NativeKernels.TYPE_*
        private final boolean repacked;

        Native(GgmlType weights, int type, boolean repacked) {
            this.weights = weights;
            this.type = type;
            this.repacked = repacked;
        }

        @Override
        boolean takesRanges() {
            return true;
        }

        @Override
        void rowRange(MemorySegment w, long rowBytes, MemorySegment interleaved, int from, int to, DotOperand x,
                      int tokens, MemorySegment out, int stride) {
            if (x.quantsSegment == null) {
                throw new IllegalStateException("native kernels need Q8_0 or Q8_K activations, got " + x.format);
            }
            boolean groups = interleaved != null && from % InterleavedRows.GROUP_ROWS == 0
                    && to % InterleavedRows.GROUP_ROWS == 0;
            if (type == NativeKernels.TYPE_Q4_K && groups && NativeKernels.q4_KInterleaved(interleaved, from, to,
                    x.cols / 256, x.quantsSegment, x.scalesSegment, x.groupSumsSegment, tokens, out, stride)) {
                return;
            }
            if (type == NativeKernels.TYPE_Q4_K || type == NativeKernels.TYPE_Q6_K) {
                NativeKernels.kQuant(type, w, rowBytes, from, to, x.cols / 256, x.quantsSegment, x.scalesSegment,
                        x.groupSumsSegment, tokens, out, stride);
                return;
            }
            int blocks = x.cols / VectorLanes.GROUP;
            if (repacked && groups && NativeKernels.q4_0Interleaved(interleaved, from, to,
                    blocks, x.quantsSegment, x.scalesSegment, tokens, out, stride)) {
                return;
            }
            if (repacked) {
                NativeKernels.q4_0Repacked(w, rowBytes, from, to, blocks, x.quantsSegment, x.scalesSegment, tokens,
                        out, stride);
            } else {
                NativeKernels.vecDot(type, w, rowBytes, from, to, blocks, x.quantsSegment, x.scalesSegment, tokens,
                        out, stride);
            }
        }

        @Override
        float dot(MemorySegment w, long row, DotOperand x, int token) {
            return repacked ? DotProduct.dotQ4_0Repacked(w, row, x.converted, token * x.cols, x.cols)
                    : DotProduct.dot(weights, w, row, x.converted, token * x.cols, x.cols);
        }
    }

    /** The scalar kernel of llama.cpp's batched (tinyBLAS) order, {@link DotProduct#batchedDot}. */
    static RowKernel batched(GgmlType type) {
        return BATCHED[type.ordinal()];
    }

    private static final RowKernel[] BATCHED = new RowKernel[GgmlType.values().length];

    static {
        for (GgmlType t : GgmlType.values()) {
            BATCHED[t.ordinal()] = new Untiled() {
                @Override
                float dot(MemorySegment w, long row, DotOperand x, int token) {
                    return DotProduct.batchedDot(t, w, row, x.converted, token * x.cols, x.cols);
                }
            };
        }
    }

    /** Whether {@code type} has a Vector API kernel (otherwise the scalar reference runs). */
    static boolean isVectorized(GgmlType type) {
        return !(VECTOR[type.ordinal()] instanceof Scalar);
    }

    private static RowKernel vectorKernel(GgmlType type) {
        return switch (type) {
            case Q8_0 -> VectorLanes.WIDE ? new WideTiles(1) {
                float dot(MemorySegment w, long row, DotOperand x, int token) {
                    return VectorLegacyDots.q8_0(w, row, x, token);
                }

                void tile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
                    VectorTileDots.q8_0Tile(w, row, x, token, out, o, stride);
                }

                void smallTile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
                    VectorTileDots.q8_0Tile4(w, row, x, token, out, o, stride);
                }

                @Override
                void dotStreams(MemorySegment w, long rowA, long rowB, long rowBytes, DotOperand x, int token,
                                float[] out, int oA, int oB) {
                    VectorLegacyDots.q8_0Pair(w, rowA, rowB, x, token, out, oA, oB);
                }
            } : new Tiled(2) {
                float dot(MemorySegment w, long row, DotOperand x, int token) {
                    return VectorLegacyDots.q8_0(w, row, x, token);
                }

                @Override
                void dotStreams(MemorySegment w, long rowA, long rowB, long rowBytes, DotOperand x, int token,
                                float[] out, int oA, int oB) {
                    VectorLegacyDots.q8_0Pair(w, rowA, rowB, x, token, out, oA, oB);
                }

                void dotTile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
                    VectorLegacyDots.q8_0x2(w, row, x, token, out, o, stride);
                }

            };
            case Q4_0 -> VectorLanes.WIDE ? new WideTiles(1) {
                float dot(MemorySegment w, long row, DotOperand x, int token) {
                    return VectorLegacyDots.q4_0(w, row, x, token);
                }

                void tile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
                    VectorTileDots.q4_0Tile(w, row, x, token, out, o, stride);
                }

                void smallTile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
                    VectorTileDots.q4_0Tile4(w, row, x, token, out, o, stride);
                }
            } : new Tiled(2) {
                float dot(MemorySegment w, long row, DotOperand x, int token) {
                    return VectorLegacyDots.q4_0(w, row, x, token);
                }

                void dotTile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
                    VectorLegacyDots.q4_0x2(w, row, x, token, out, o, stride);
                }

            };
            case Q4_K -> new Untiled() {
                float dot(MemorySegment w, long row, DotOperand x, int token) {
                    return VectorKQuantDots.q4_K(w, row, x, token);
                }
            };
            case Q6_K -> new Untiled() {
                float dot(MemorySegment w, long row, DotOperand x, int token) {
                    return VectorKQuantDots.q6_K(w, row, x, token);
                }
            };
            case F32 -> new Untiled() {
                float dot(MemorySegment w, long row, DotOperand x, int token) {
                    return VectorFloatDots.f32(w, row, x, token);
                }
            };
            // F16 stays scalar for now: in a JVM that has also run other vector kernels, C2 sometimes leaves
            // VectorFloatDots.f16's vectors as objects (a GB per 50 decode steps); it was only 2x faster anyway.
            default -> new Scalar(type);
        };
    }

    /** A kernel with a tile form. */
    private abstract static class Tiled extends RowKernel {
        Tiled(int tile) {
            super(tile);
        }
    }

    /**
     * The wide (512-bit) kernels: 8- and 4-token tiles ({@link VectorTileDots}; a batch takes 8-token tiles, then one
     * 4-token tile where 4 or more tokens remain) and, where the type has them, 4-row tiles for the tokens that no
     * token tile takes ({@link VectorRowTileDots}); the single-token form for the rest. (The 4-token tile is a method
     * of its own: a 4-token form of the 8-token kernel, a branch per block, was deoptimized and recompiled back and
     * forth.)
     */
    private abstract static class WideTiles extends RowKernel {
        private final int streamRows;

        WideTiles(int streamRows) {
            super(1);
            this.streamRows = streamRows;
        }

        /** Tokens token .. token + 7. */
        abstract void tile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride);

        /** Tokens token .. token + 3. */
        abstract void smallTile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride);

        @Override
        final void dotTile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
            out[o] = dot(w, row, x, token);
        }

        @Override
        final int tileTokens(DotOperand x, int from, int to) {
            if (x.pairTokens < to) {
                return 0;
            }
            int t = from;
            while (t + VectorTileDots.TILE <= to && (t & 7) == 0) {
                t += VectorTileDots.TILE;
            }
            if (t + VectorTileDots.SMALL_TILE <= to && (t & 3) == 0) {
                t += VectorTileDots.SMALL_TILE;
            }
            return t - from;
        }

        @Override
        final int streamRows() {
            return streamRows;
        }

        @Override
        final void dotRow(MemorySegment w, long row, DotOperand x, int from, int to, float[] out, int r, int stride) {
            int t = from;
            int end = from + tileTokens(x, from, to);
            for (; t + VectorTileDots.TILE <= end; t += VectorTileDots.TILE) {
                tile(w, row, x, t, out, t * stride + r, stride);
            }
            if (t < end) {
                smallTile(w, row, x, t, out, t * stride + r, stride);
                t += VectorTileDots.SMALL_TILE;
            }
            for (; t < to; t++) {
                out[t * stride + r] = dot(w, row, x, t);
            }
        }
    }

    /** A kernel without a tile form: the tile is one token. */
    private abstract static class Untiled extends RowKernel {
        Untiled() {
            super(1);
        }

        @Override
        final void dotTile(MemorySegment w, long row, DotOperand x, int token, float[] out, int o, int stride) {
            out[o] = dot(w, row, x, token);
        }
    }

    /** The scalar reference, {@link DotProduct#dot}. */
    private static final class Scalar extends Untiled {
        private final GgmlType type;

        Scalar(GgmlType type) {
            this.type = type;
        }

        @Override
        float dot(MemorySegment w, long row, DotOperand x, int token) {
            return DotProduct.dot(type, w, row, x.converted, token * x.cols, x.cols);
        }
    }

    /** The scalar reference of the repacked Q4_0 GEMV, {@link DotProduct#dotQ4_0Repacked}. */
    private static final class ScalarQ4_0Repacked extends Untiled {
        @Override
        float dot(MemorySegment w, long row, DotOperand x, int token) {
            return DotProduct.dotQ4_0Repacked(w, row, x.converted, token * x.cols, x.cols);
        }
    }
}
