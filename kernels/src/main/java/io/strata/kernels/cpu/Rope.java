package io.strata.kernels.cpu;

import io.strata.model.arch.Architecture.RopeType;

/**
 * Rotary position embedding with ggml's angle recipe (formats.md 4.4): theta_i is an iterated float product of
 * powf(base, -2/n_rot), divided by the optional per-pair frequency factors (Llama 3.1's rope_freqs), times
 * freq_scale (linear scaling). Holds one scratch row of cos/sin; not thread-safe, one per worker thread.
 */
public final class Rope {
    private final RopeType type;
    private final int ropeDim;
    private final float thetaScale;
    private final float freqScale;
    private final float[] freqFactors;
    private final float[] cos;
    private final float[] sin;
    private int cachedPosition = -1;

    public Rope(RopeType type, int ropeDim, float base, float freqScale, float[] freqFactors) {
        this.type = type;
        this.ropeDim = ropeDim;
        this.thetaScale = (float) Math.pow(base, -2.0f / ropeDim);
        this.freqScale = freqScale;
        this.freqFactors = freqFactors;
        this.cos = new float[ropeDim / 2];
        this.sin = new float[ropeDim / 2];
    }

    private void angles(int position) {
        if (position == cachedPosition) {
            return;
        }
        float theta = position;
        for (int i = 0; i < ropeDim / 2; i++) {
            float t = freqFactors == null ? theta : theta / freqFactors[i];
            t = freqScale * t;
            cos[i] = (float) Math.cos(t);
            sin[i] = (float) Math.sin(t);
            theta *= thetaScale;
        }
        cachedPosition = position;
    }

    /** Rotates every head of x[off .. off + heads*headDim) in place for the given position. */
    public void apply(float[] x, int off, int heads, int headDim, int position) {
        angles(position);
        int half = ropeDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int i0 = type == RopeType.NORM ? base + 2 * i : base + i;
                int i1 = type == RopeType.NORM ? i0 + 1 : i0 + half;
                float x0 = x[i0];
                float x1 = x[i1];
                // GCC contracts the first product of each expression into an FMA (-ffp-contract=fast, the GNU
                // default, on an FMA target): without the same fusing, one activation in a few hundred thousand
                // lands across a Q8 rounding boundary and the logits jump (formats.md 3.6).
                x[i0] = Math.fma(x0, cos[i], -(x1 * sin[i]));
                x[i1] = Math.fma(x0, sin[i], x1 * cos[i]);
            }
        }
    }
}
