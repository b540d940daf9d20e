package io.strata.model.tensor;

import static io.strata.model.tensor.BlockFormats.nearestInt;

/**
 * The scale searches behind ggml's reference quantizers (ggml-quants.c {@code make_qx_quants},
 * {@code make_q3_quants}, {@code make_qkx2_quants}, {@code best_index_int8}). Each fits a group of values with
 * integer quants and a scale (and, for qkx2, a min) by trying a few candidate scales and keeping the one with the
 * smallest weighted error. Float arithmetic follows the C statement by statement: ggml-base is compiled without
 * FMA and these loops are plain float reductions, so the same steps give the same bits.
 */
final class ScaleSearch {
    /** ggml's GROUP_MAX_EPS: a group whose largest magnitude is below this is all zeros. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private ScaleSearch() {
    }

    /**
     * Symmetric quants in [−nmax, nmax − 1] with weights x² (make_qx_quants, rmse_type 1, no importance):
     * L[lOff + i] receives q + nmax; returns the scale.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xOff, int[] quants, int lOff) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                quants[lOff + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            int l = clamp(nearestInt(iscale * v), -nmax, nmax - 1);
            quants[lOff + i] = l + nmax;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xOff + i];
                int l = clamp(nearestInt(iscale * v), -nmax, nmax - 1);
                float w = v * v;
                sumlx += w * v * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    quants[lOff + i] = nmax + clamp(nearestInt(iscale * x[xOff + i]), -nmax, nmax - 1);
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * Symmetric quants in [−nmax, nmax − 1] refined by coordinate descent on the x²-weighted error (make_q3_quants
     * with do_rmse): L receives q + nmax; returns the scale.
     */
    static float makeQ3Quants(int n, int nmax, float[] x, int xOff, int[] quants, int lOff) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                quants[lOff + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            int l = clamp(nearestInt(iscale * v), -nmax, nmax - 1);
            quants[lOff + i] = l;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xOff + i];
                float w = v * v;
                int li = quants[lOff + i];
                float slx = sumlx - w * v * li;
                if (slx > 0) {
                    float sl2 = suml2 - w * li * li;
                    int newL = clamp(nearestInt(v * sl2 / slx), -nmax, nmax - 1);
                    if (newL != li) {
                        slx += w * v * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            quants[lOff + i] = newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            quants[lOff + i] += nmax;
        }
        return sumlx / suml2;
    }

    /**
     * Asymmetric quants in [0, nmax] with scale and min (make_qkx2_quants): x ≈ scale·L − min. Tries
     * iscale = (rmin + rdelta·is + nmax)/(max − min) for is = 0..nstep, refits scale and min by weighted least
     * squares, keeps the lowest weighted |error| (useMad) or squared error. Returns the scale; the min (as a
     * positive offset, ggml's {@code the_min}) goes to {@code minOut[minIndex]}.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] weights, int[] quants, int lOff,
                                float[] minOut, int minIndex, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = weights[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            float v = x[xOff + i];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * v;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                quants[lOff + i] = 0;
            }
            minOut[minIndex] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * (x[xOff + i] - min)), 0, nmax);
            quants[lOff + i] = l;
            float diff = scale * l + min - x[xOff + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestMad += weights[i] * diff;
        }
        if (nstep < 1) {
            minOut[minIndex] = -min;
            return scale;
        }
        int[] aux = new int[n];
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * (x[xOff + i] - min)), 0, nmax);
                aux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xOff + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xOff + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    mad += weights[i] * diff;
                }
                if (mad < bestMad) {
                    System.arraycopy(aux, 0, quants, lOff, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[minIndex] = -min;
        return scale;
    }

    /** Index of the entry of the sorted table {@code values} nearest to x (best_index_int8; ties go up). */
    static int bestIndex(byte[] values, float x) {
        int n = values.length;
        if (x <= values[0]) {
            return 0;
        }
        if (x >= values[n - 1]) {
            return n - 1;
        }
        int ml = 0;
        int mu = n - 1;
        while (mu - ml > 1) {
            int mav = (ml + mu) / 2;
            if (x < values[mav]) {
                mu = mav;
            } else {
                ml = mav;
            }
        }
        return x - values[mu - 1] < values[mu] - x ? mu - 1 : mu;
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
