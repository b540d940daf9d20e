package io.strata.inference;

import io.strata.kernels.WeightMatrix;
import io.strata.model.arch.Architecture;
import io.strata.model.arch.ModelConfig;
import io.strata.model.tensor.Dequantizer;

/**
 * A plain double-precision transformer written straight from the math (formats.md 4.3-4.6), with no batching,
 * no lanes and no quantized activations: the oracle for architectures llama.cpp gave us no reference output for.
 */
final class ReferenceForward {
    private final ModelConfig c;
    private final ModelWeights w;
    private final double[][][] keys;
    private final double[][][] values;
    private int length;

    ReferenceForward(ModelConfig c, ModelWeights w, int capacity) {
        this.c = c;
        this.w = w;
        this.keys = new double[c.layerCount()][capacity][];
        this.values = new double[c.layerCount()][capacity][];
    }

    double[] next(int token) {
        int pos = length++;
        double[] x = row(w.tokenEmbedding(), token);
        int hd = c.headDim();
        for (int l = 0; l < c.layerCount(); l++) {
            ModelWeights.Layer L = w.layers()[l];
            double[] h = norm(x, L.attnNorm());
            double[] q = add(matvec(L.wq(), h), L.bq());
            double[] k = add(matvec(L.wk(), h), L.bk());
            double[] v = add(matvec(L.wv(), h), L.bv());
            for (int hh = 0; hh < c.headCount(); hh++) {
                if (L.qNorm() != null) normHead(q, hh * hd, hd, L.qNorm());
                rope(q, hh * hd, pos);
            }
            for (int hh = 0; hh < c.kvHeadCount(); hh++) {
                if (L.kNorm() != null) normHead(k, hh * hd, hd, L.kNorm());
                rope(k, hh * hd, pos);
            }
            keys[l][pos] = k;
            values[l][pos] = v;
            double[] o = new double[c.queryDim()];
            for (int hh = 0; hh < c.headCount(); hh++) {
                int kv = (hh / c.groupSize()) * hd;
                double[] s = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= pos; j++) {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) dot += q[hh * hd + i] * keys[l][j][kv + i];
                    s[j] = dot / Math.sqrt(hd);
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j <= pos; j++) sum += (s[j] = Math.exp(s[j] - max));
                for (int j = 0; j <= pos; j++)
                    for (int i = 0; i < hd; i++) o[hh * hd + i] += s[j] / sum * values[l][j][kv + i];
            }
            x = add(x, add(matvec(L.wo(), o), L.bo()));
            double[] f = norm(x, L.ffnNorm());
            double[] g = matvec(L.gate(), f);
            double[] u = matvec(L.up(), f);
            for (int i = 0; i < g.length; i++) g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
            x = add(x, matvec(L.down(), g));
        }
        return matvec(w.output(), norm(x, w.outputNorm()));
    }

    private void rope(double[] v, int off, int pos) {
        int n = c.ropeDimensions();
        boolean neox = c.ropeType() == Architecture.RopeType.NEOX;
        for (int i = 0; i < n / 2; i++) {
            double theta = pos * Math.pow(c.ropeFreqBase(), -2.0 * i / n) * c.ropeFreqScale();
            if (w.ropeFreqFactors() != null) theta /= w.ropeFreqFactors()[i];
            int a = neox ? off + i : off + 2 * i;
            int b = neox ? off + i + n / 2 : a + 1;
            double x0 = v[a], x1 = v[b];
            v[a] = x0 * Math.cos(theta) - x1 * Math.sin(theta);
            v[b] = x0 * Math.sin(theta) + x1 * Math.cos(theta);
        }
    }

    private double[] norm(double[] x, float[] weight) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double scale = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * scale * weight[i];
        return y;
    }

    private void normHead(double[] v, int off, int n, float[] weight) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += v[off + i] * v[off + i];
        double scale = 1 / Math.sqrt(ss / n + c.rmsNormEps());
        for (int i = 0; i < n; i++) v[off + i] = v[off + i] * scale * weight[i];
    }

    private static double[] matvec(WeightMatrix m, double[] x) {
        double[] y = new double[m.rows()];
        float[] r = new float[m.cols()];
        for (int i = 0; i < m.rows(); i++) {
            Dequantizer.dequantize(m.type(), m.data(), i * m.rowBytes(), r, 0, m.cols());
            double s = 0;
            for (int j = 0; j < r.length; j++) s += r[j] * x[j];
            y[i] = s;
        }
        return y;
    }

    private static double[] row(WeightMatrix m, int i) {
        float[] r = new float[m.cols()];
        Dequantizer.dequantize(m.type(), m.data(), i * m.rowBytes(), r, 0, m.cols());
        double[] d = new double[r.length];
        for (int j = 0; j < r.length; j++) d[j] = r[j];
        return d;
    }

    private static double[] add(double[] a, float[] b) {
        if (b == null) return a;
        for (int i = 0; i < a.length; i++) a[i] += b[i];
        return a;
    }

    private static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) y[i] = a[i] + b[i];
        return y;
    }
}
