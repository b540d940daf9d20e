package io.strata.model.tensor;

import java.util.Arrays;
import java.util.Objects;

import static io.strata.model.tensor.BlockFormats.QK;
import static io.strata.model.tensor.BlockFormats.QK_K;

/**
 * One activation vector converted to the format a weight type's dot product consumes ({@link #vecDotType}), the
 * way an AVX2 llama.cpp converts {@code src1} once per mul_mat (formats.md 3.1, 3.2). Buffers are sized at
 * construction and reused: {@link #quantize} allocates nothing, so one instance per thread and weight format can
 * serve every token. Reading is safe from many threads at once (dot products over different weight rows) as long
 * as nobody quantizes meanwhile.
 *
 * <p>The blocks are held as parallel arrays rather than in ggml's packed byte layout, since the dot products
 * read them element by element: one int8 per element, the block scale already widened to f32 (the F16-rounded
 * value for Q8_0/Q8_1, exactly what ggml reads back), Q8_1's {@code s} likewise, and Q8_K's per-16 sums.
 */
public final class QuantizedActivations {
    private final GgmlType type;
    private final int capacity;
    /** F32/F16/BF16: each activation after rounding to the format, as f32. Null otherwise. */
    private final float[] values;
    /** Q8_0/Q8_1/Q8_K: one signed 8-bit quant per element. Null otherwise. */
    private final byte[] quants;
    /** Q8_*: the block scale d as ggml reads it back (fp16(d) for Q8_0/Q8_1, the f32 d for Q8_K). */
    private final float[] scales;
    /** Q8_1: s = fp16(d·Σq) per block, as f32. Null otherwise. */
    private final float[] blockSums;
    /** Q8_K: bsums, the sum of each 16 consecutive quants (16 per block). Null otherwise. */
    private final short[] groupSums;
    private int length;

    /**
     * A holder for up to {@code capacity} activations in {@code type}, which must be one of ggml's vec-dot types:
     * F32, F16, BF16, Q8_0, Q8_1 or Q8_K. For the quantized ones capacity must be a whole number of blocks.
     */
    public QuantizedActivations(GgmlType type, int capacity) {
        this.type = Objects.requireNonNull(type, "type");
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity + " < 0");
        }
        switch (type) {
            case F32, F16, BF16 -> {
                values = new float[capacity];
                quants = null;
                scales = null;
                blockSums = null;
                groupSums = null;
            }
            case Q8_0, Q8_1, Q8_K -> {
                BlockFormats.checkWholeBlocks(type, capacity);
                values = null;
                quants = new byte[capacity];
                scales = new float[capacity / type.blockSize()];
                blockSums = type == GgmlType.Q8_1 ? new float[capacity / QK] : null;
                groupSums = type == GgmlType.Q8_K ? new short[capacity / 16] : null;
            }
            default -> throw new IllegalArgumentException(type + " is not an activation format (F32, F16, BF16, Q8_0, "
                    + "Q8_1, Q8_K)");
        }
        this.capacity = capacity;
    }

    /** A holder in the format that dot products with {@code weightType} rows need. */
    public static QuantizedActivations forWeights(GgmlType weightType, int capacity) {
        return new QuantizedActivations(vecDotType(weightType), capacity);
    }

    /**
     * The format ggml converts activations to before multiplying them with {@code weightType} rows
     * (formats.md 3.1, type_traits_cpu.vec_dot_type).
     *
     * @throws IllegalArgumentException for a weight type the engine cannot multiply, naming it
     */
    public static GgmlType vecDotType(GgmlType weightType) {
        return switch (weightType) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
            case Q4_0, Q5_0, Q8_0, IQ4_NL -> GgmlType.Q8_0;
            case Q4_1, Q5_1 -> GgmlType.Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> GgmlType.Q8_K;
            default -> throw BlockFormats.unsupported(weightType, "dot product");
        };
    }

    /**
     * Converts {@code x[off .. off + n)} into this holder, replacing what it held. {@code n} must fit the capacity
     * and, for the quantized formats, be a whole number of blocks.
     */
    public void quantize(float[] x, int off, int n) {
        Objects.checkFromIndexSize(off, n, x.length);
        if (n > capacity) {
            throw new IllegalArgumentException(n + " activations exceed the capacity " + capacity);
        }
        switch (type) {
            case F32 -> System.arraycopy(x, off, values, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    values[i] = Half.roundToF16(x[off + i]);
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    values[i] = Half.roundToBf16(x[off + i]);
                }
            }
            case Q8_0, Q8_1, Q8_K -> {
                BlockFormats.checkWholeBlocks(type, n);
                quantizeBlocks(x, off, 0, n / type.blockSize());
            }
            default -> throw new IllegalStateException(type.toString());
        }
        length = n;
    }

    /**
     * Blocks [{@code from}, {@code to}) of a conversion of {@code x} from {@code off}, exactly as {@link #quantize}
     * makes them; disjoint ranges may run on different threads, after which {@link #quantizedLength} records the
     * whole. For the block formats only.
     */
    public void quantizeBlocks(float[] x, int off, int from, int to) {
        int size = type.blockSize();
        Objects.checkFromToIndex(from, to, capacity / size);
        Objects.checkFromIndexSize(off, to * size, x.length);
        for (int b = from; b < to; b++) {
            if (type == GgmlType.Q8_K) {
                quantizeQ8KBlock(x, off + QK_K * b, b);
            } else {
                quantizeQ8Block(x, off + QK * b, b);
            }
        }
    }

    /** Records that the first {@code n} elements hold a conversion made by {@link #quantizeBlocks}. */
    public void quantizedLength(int n) {
        BlockFormats.checkWholeBlocks(type, n);
        if (n > capacity) {
            throw new IllegalArgumentException(n + " activations exceed the capacity " + capacity);
        }
        length = n;
    }

    /**
     * Q8_0 (and Q8_1) the AVX2 way (formats.md 3.2): d = amax/127 stored as fp16, but the quants use the f32
     * inverse 127/amax and round half to even ({@code _mm256_round_ps} nearest). Q8_1 adds s = fp16(d·Σq) with
     * the unrounded d.
     */
    private void quantizeQ8Block(float[] x, int from, int block) {
        float amax = 0f;
        for (int i = 0; i < QK; i++) {
            float a = Math.abs(x[from + i]);
            if (a > amax) {
                amax = a;
            }
        }
        float d = amax / 127f;
        float id = amax != 0f ? 127f / amax : 0f;
        int sum = 0;
        int base = block * QK;
        for (int i = 0; i < QK; i++) {
            // packs_epi32/packs_epi16 saturate; |x·id| ≤ 127 up to rounding, so the clamp never bites in practice
            int q = (int) Math.rint(x[from + i] * id);
            q = Math.max(-128, Math.min(127, q));
            quants[base + i] = (byte) q;
            sum += q;
        }
        scales[block] = Half.roundToF16(d);
        if (blockSums != null) {
            blockSums[block] = Half.roundToF16(d * sum);
        }
    }

    /**
     * Q8_K by quantize_row_q8_K_ref, which every x86 build uses (formats.md 3.2): the element of largest magnitude
     * (first on ties) sets iscale = −127/max, so it becomes −127; d = 1/iscale is negative when max > 0.
     */
    private void quantizeQ8KBlock(float[] x, int from, int block) {
        float max = 0f;
        float amax = 0f;
        for (int i = 0; i < QK_K; i++) {
            float a = Math.abs(x[from + i]);
            if (a > amax) {
                amax = a;
                max = x[from + i];
            }
        }
        int base = block * QK_K;
        if (amax == 0f) {
            // ggml leaves bsums untouched here; zeros are as good, since d = 0 cancels them
            scales[block] = 0f;
            Arrays.fill(quants, base, base + QK_K, (byte) 0);
            Arrays.fill(groupSums, block * 16, block * 16 + 16, (short) 0);
            return;
        }
        float iscale = -127f / max;
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int i = 16 * g; i < 16 * g + 16; i++) {
                int q = Math.min(127, BlockFormats.nearestInt(iscale * x[from + i]));
                quants[base + i] = (byte) q;
                sum += q;
            }
            groupSums[block * 16 + g] = (short) sum;
        }
        scales[block] = 1f / iscale;
    }

    public GgmlType type() {
        return type;
    }

    public int capacity() {
        return capacity;
    }

    /** How many activations the last {@link #quantize} stored. */
    public int length() {
        return length;
    }

    /**
     * The stored activation {@code i} as a float: q·d for the Q8 formats (exact for Q8_0/Q8_1, whose d is an fp16;
     * rounded to float for Q8_K), the rounded value otherwise.
     */
    public float value(int i) {
        Objects.checkIndex(i, length);
        return values != null ? values[i] : quants[i] * scales[i / type.blockSize()];
    }

    /** Q8 formats: the int8 quant of element {@code i}. */
    public int quant(int i) {
        Objects.checkIndex(i, length);
        return requireQuantized()[i];
    }

    /** Q8 formats: the scale d of block {@code block} as ggml reads it (fp16-rounded for Q8_0/Q8_1). */
    public float scale(int block) {
        requireQuantized();
        Objects.checkIndex(block, length / type.blockSize());
        return scales[block];
    }

    /** Q8_1 only: s of block {@code block} (fp16(d·Σq), widened). */
    public float blockSum(int block) {
        if (blockSums == null) {
            throw new IllegalStateException(type + " has no block sums");
        }
        Objects.checkIndex(block, length / QK);
        return blockSums[block];
    }

    /** Q8_K only: bsums[k], the sum of quants 16k .. 16k + 15. */
    public int groupSum(int k) {
        if (groupSums == null) {
            throw new IllegalStateException(type + " has no 16-element sums");
        }
        Objects.checkIndex(k, length / 16);
        return groupSums[k];
    }

    private byte[] requireQuantized() {
        if (quants == null) {
            throw new IllegalStateException(type + " activations are not quantized");
        }
        return quants;
    }

    // The backing arrays, for vectorized kernels in other modules (the kernels module's Vector API dot products),
    // which cannot afford a bounds-checked call per element. Read-only by contract: they index from the start of
    // the vector, hold meaningful data for the first length() elements, and change on the next quantize().

    /** F32/F16/BF16: the rounded activations; null for the quantized formats. */
    public float[] valuesArray() {
        return values;
    }

    /** Q8 formats: the int8 quants, one per element; null for the float formats. */
    public byte[] quantsArray() {
        return quants;
    }

    /** Q8 formats: the block scales d as ggml reads them, one per block; null for the float formats. */
    public float[] scalesArray() {
        return scales;
    }

    /** Q8_1: s per block; null otherwise. */
    public float[] blockSumsArray() {
        return blockSums;
    }

    /** Q8_K: bsums, one per 16 elements; null otherwise. */
    public short[] groupSumsArray() {
        return groupSums;
    }

    // Package-private views for the kernels in this package; they index from the start of the vector.

    float[] values() {
        return values;
    }

    byte[] quants() {
        return quants;
    }

    float[] scales() {
        return scales;
    }

    float[] blockSums() {
        return blockSums;
    }

    short[] groupSums() {
        return groupSums;
    }
}
