package io.strata.inference;

import io.strata.model.arch.ModelConfig;

/**
 * One sequence's keys and values for every layer, F32. Keys are position-major: the key of position p in layer l
 * is {@code keys[l][p*kvDim .. (p+1)*kvDim)}. Values are channel-major, as ggml stores V transposed: channel c of
 * position p is {@code values[l][c*stride + p]}, so the probability-weighted sum over positions is one contiguous
 * dot product; {@link #valueStride()} is the capacity rounded up to 32 so that sum may run over whole 32-position
 * groups. A fixed capacity is reserved up front, so decoding never allocates. Paged blocks and F16/Q8 storage can
 * replace the arrays behind the same accessors later.
 */
public final class KvCache {
    private final float[][] keys;
    private final float[][] values;
    private final int kvDim;
    private final int capacity;
    private final int valueStride;
    private final int firstLayer;
    private int length;

    public KvCache(ModelConfig config, int capacity) {
        this(config, capacity, 0, config.layerCount());
    }

    /** A cache for layers {@code [fromLayer, toLayer)} only: a pipeline stage holds its own layers' keys and values. */
    public KvCache(ModelConfig config, int capacity, int fromLayer, int toLayer) {
        this(config, capacity, fromLayer, toLayer, 1);
    }

    /** As above, for one of {@code tensorParallel} ranks, which holds 1/tensorParallel of the KV heads. */
    public KvCache(ModelConfig config, int capacity, int fromLayer, int toLayer, int tensorParallel) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
        }
        if (fromLayer < 0 || toLayer > config.layerCount() || fromLayer >= toLayer) {
            throw new IllegalArgumentException("layers [" + fromLayer + ", " + toLayer + ") are outside the model's "
                    + config.layerCount() + " layers");
        }
        if (tensorParallel < 1 || config.kvHeadCount() % tensorParallel != 0) {
            throw new IllegalArgumentException("tensor_parallel " + tensorParallel + " does not divide the model's "
                    + config.kvHeadCount() + " KV heads");
        }
        this.kvDim = config.kvDim() / tensorParallel;
        this.capacity = capacity;
        this.valueStride = (capacity + 31) & ~31;
        this.firstLayer = fromLayer;
        this.keys = new float[toLayer - fromLayer][Math.multiplyExact(capacity, kvDim)];
        this.values = new float[toLayer - fromLayer][Math.multiplyExact(valueStride, kvDim)];
    }

    public int capacity() { return capacity; }

    /** Positions filled so far: the next token goes at this position. */
    public int length() { return length; }

    public float[] keys(int layer) { return keys[layer - firstLayer]; }

    public float[] values(int layer) { return values[layer - firstLayer]; }

    public int kvDim() { return kvDim; }

    /** Distance between one value channel and the next in {@link #values(int)}. */
    public int valueStride() { return valueStride; }

    /** Stores position {@code pos}'s value vector (kvDim floats from {@code v[off..]}) into its channels. */
    void putValue(int layer, int pos, float[] v, int off) {
        float[] dst = values[layer - firstLayer];
        for (int c = 0; c < kvDim; c++) {
            dst[c * valueStride + pos] = v[off + c];
        }
    }

    /** Marks positions below {@code newLength} as filled (after a forward pass wrote them). */
    void advanceTo(int newLength) {
        length = Math.max(length, newLength);
    }

    /** Forgets everything from {@code position} on (to rewind, or to reuse the cache for a new sequence). */
    public void truncate(int position) {
        if (position < 0 || position > length) {
            throw new IllegalArgumentException("cannot truncate a cache of length " + length + " to " + position);
        }
        length = position;
    }
}
