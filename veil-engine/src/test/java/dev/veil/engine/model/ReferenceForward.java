package dev.veil.engine.model;

import dev.veil.engine.gguf.GGUFFile;
import dev.veil.engine.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A float64 forward pass written for the tests, independent of the engine's loader and {@code Forward}: the
 * hyper-parameters come from a {@link ModelShape}, the weights straight from the GGUF file by name (dequantized
 * with getFloat), RoPE scaling from its own Llama 3 formula, and all arithmetic is plain double math. It keeps
 * its own KV cache and returns the logits of each token it is fed.
 */
final class ReferenceForward {
    private final ModelShape s;
    private final GGUFFile f;
    private final double[][] embedding, output;
    private final double[][][] wq, wk, wv, wo, gate, up, down;
    private final double[][] attnNorm, ffnNorm, qNorm, kNorm, qBias, kBias, vBias;
    private final double[] finalNorm, invFreq;
    private final List<double[][]> keys = new ArrayList<>(), values = new ArrayList<>();

    ReferenceForward(ModelShape shape, GGUFFile file) {
        s = shape;
        f = file;
        int L = s.layers(), qDim = s.heads() * s.headDim(), kvDim = s.kvHeads() * s.headDim();
        embedding = matrix("token_embd.weight", s.vocabSize(), s.dim());
        output = s.tiedOutput() ? embedding : matrix("output.weight", s.vocabSize(), s.dim());
        finalNorm = vector("output_norm.weight", s.dim());
        wq = new double[L][][]; wk = new double[L][][]; wv = new double[L][][]; wo = new double[L][][];
        gate = new double[L][][]; up = new double[L][][]; down = new double[L][][];
        attnNorm = new double[L][]; ffnNorm = new double[L][]; qNorm = new double[L][]; kNorm = new double[L][];
        qBias = new double[L][]; kBias = new double[L][]; vBias = new double[L][];
        for (int l = 0; l < L; l++) {
            String b = "blk." + l + ".";
            wq[l] = matrix(b + "attn_q.weight", qDim, s.dim());
            wk[l] = matrix(b + "attn_k.weight", kvDim, s.dim());
            wv[l] = matrix(b + "attn_v.weight", kvDim, s.dim());
            wo[l] = matrix(b + "attn_output.weight", s.dim(), qDim);
            gate[l] = matrix(b + "ffn_gate.weight", s.hiddenDim(), s.dim());
            up[l] = matrix(b + "ffn_up.weight", s.hiddenDim(), s.dim());
            down[l] = matrix(b + "ffn_down.weight", s.dim(), s.hiddenDim());
            attnNorm[l] = vector(b + "attn_norm.weight", s.dim());
            ffnNorm[l] = vector(b + "ffn_norm.weight", s.dim());
            if (s.architecture().equals("qwen3")) {
                qNorm[l] = vector(b + "attn_q_norm.weight", s.headDim());
                kNorm[l] = vector(b + "attn_k_norm.weight", s.headDim());
            }
            if (s.architecture().equals("qwen2")) {
                qBias[l] = vector(b + "attn_q.bias", qDim);
                kBias[l] = vector(b + "attn_k.bias", kvDim);
                vBias[l] = vector(b + "attn_v.bias", kvDim);
            }
            keys.add(new double[s.contextLength()][]);
            values.add(new double[s.contextLength()][]);
        }
        invFreq = new double[s.headDim() / 2];
        for (int i = 0; i < invFreq.length; i++) {
            double freq = Math.pow(s.ropeTheta(), -2.0 * i / s.headDim());
            invFreq[i] = s.ropeScaling() == null ? freq : llama3Scaled(freq, s.ropeScaling());
        }
    }

    /** Meta's Llama 3 rule, written out: long wavelengths slowed by the factor, short kept, a linear blend between. */
    static double llama3Scaled(double freq, RopeScaling r) {
        double wavelen = 2 * Math.PI / freq;
        if (wavelen < r.originalContext() / r.highFreqFactor()) return freq;
        if (wavelen > r.originalContext() / r.lowFreqFactor()) return freq / r.factor();
        double smooth = (r.originalContext() / wavelen - r.lowFreqFactor()) / (r.highFreqFactor() - r.lowFreqFactor());
        return (1 - smooth) * freq / r.factor() + smooth * freq;
    }

    private int length;

    /** Runs one token at the next position; returns its logits. */
    double[] step(int token) {
        int pos = length++, hd = s.headDim(), group = s.heads() / s.kvHeads();
        double[] x = embedding[token].clone();
        for (int l = 0; l < s.layers(); l++) {
            double[] xn = rmsnorm(x, attnNorm[l]);
            double[] q = add(mul(wq[l], xn), qBias[l]), k = add(mul(wk[l], xn), kBias[l]), v = add(mul(wv[l], xn), vBias[l]);
            for (int h = 0; h < s.heads(); h++) headNormAndRope(q, h * hd, qNorm[l], pos);
            for (int h = 0; h < s.kvHeads(); h++) headNormAndRope(k, h * hd, kNorm[l], pos);
            keys.get(l)[pos] = k;
            values.get(l)[pos] = v;
            double[] att = new double[s.heads() * hd];
            for (int h = 0; h < s.heads(); h++) {
                int kv = (h / group) * hd;
                double[] w = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int t = 0; t <= pos; t++) {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) dot += q[h * hd + i] * keys.get(l)[t][kv + i];
                    w[t] = dot / Math.sqrt(hd);
                    max = Math.max(max, w[t]);
                }
                for (int t = 0; t <= pos; t++) sum += w[t] = Math.exp(w[t] - max);
                for (int t = 0; t <= pos; t++) {
                    for (int i = 0; i < hd; i++) att[h * hd + i] += w[t] / sum * values.get(l)[t][kv + i];
                }
            }
            x = add(x, mul(wo[l], att));
            xn = rmsnorm(x, ffnNorm[l]);
            double[] g = mul(gate[l], xn), u = mul(up[l], xn);
            for (int i = 0; i < g.length; i++) g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
            x = add(x, mul(down[l], g));
        }
        return mul(output, rmsnorm(x, finalNorm));
    }

    private void headNormAndRope(double[] v, int off, double[] gain, int pos) {
        int hd = s.headDim(), half = hd / 2;
        if (gain != null) {
            double[] normed = rmsnorm(java.util.Arrays.copyOfRange(v, off, off + hd), gain);
            System.arraycopy(normed, 0, v, off, hd);
        }
        boolean neox = !s.architecture().equals("llama");
        for (int i = 0; i < half; i++) {
            int a = neox ? off + i : off + 2 * i, b = neox ? a + half : a + 1;
            double angle = pos * invFreq[i], v0 = v[a], v1 = v[b];
            v[a] = v0 * Math.cos(angle) - v1 * Math.sin(angle);
            v[b] = v0 * Math.sin(angle) + v1 * Math.cos(angle);
        }
    }

    private double[] rmsnorm(double[] x, double[] gain) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1 / Math.sqrt(ss / x.length + s.rmsEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = gain[i] * x[i] * inv;
        return out;
    }

    private static double[] mul(double[][] w, double[] x) {
        double[] out = new double[w.length];
        for (int j = 0; j < w.length; j++) {
            double sum = 0;
            for (int i = 0; i < x.length; i++) sum += w[j][i] * x[i];
            out[j] = sum;
        }
        return out;
    }

    private static double[] add(double[] a, double[] b) {
        if (b == null) return a;
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i] + b[i];
        return out;
    }

    private double[][] matrix(String name, int rows, int cols) {
        FloatTensor t = f.tensor(name);
        if (t.size() != (long) rows * cols) throw new AssertionError(name + " has " + t.size() + " values, expected " + rows + "x" + cols);
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m[r][c] = t.getFloat((long) r * cols + c);
        return m;
    }

    private double[] vector(String name, int size) {
        double[][] m = matrix(name, 1, size);
        return m[0];
    }
}
