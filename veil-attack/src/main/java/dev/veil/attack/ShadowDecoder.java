package dev.veil.attack;

import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.inference.RmsNorm;
import dev.veil.engine.inference.Rope;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.NodeParams;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tensor.VectorMath;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The attacker's own copy of the decoder (it knows every weight). It places n independent inputs (candidate
 * tokens, or free embedding vectors) at the position after a known prefix, runs them up to the input of one
 * site, and differentiates that input with respect to the embeddings. It runs the engine's own code for every
 * operation {@code Forward} has (weight multiplies, RMSNorm, RoPE, SiLU gating, attention's dot products), so for
 * the true tokens it reproduces what the server saw bit for bit.
 */
public final class ShadowDecoder {
    private final LlamaConfig c;
    private final NodeParams p;
    private final LinearWeights w;
    private final LocalLinearOps linear;
    private final Rope rope;
    private final Map<FloatTensor, float[]> dense = new IdentityHashMap<>();

    public ShadowDecoder(Model model) {
        if (model.node() == null || model.linear() == null) throw new IllegalArgumentException("the attacker needs the whole model");
        this.c = model.config();
        this.p = model.node();
        this.w = model.linear();
        this.linear = new LocalLinearOps(c, w);
        this.rope = new Rope(c);
    }

    public LlamaConfig config() {
        return c;
    }

    /** Width of the input at a site. */
    public int inDim(Site site) {
        return site == Site.DECODER_STACK ? c.dim() : site.projection().inDim(c);
    }

    /** The keys and values (after RoPE) of the tokens placed so far: the attacker's guess of the KV cache. */
    public final class Prefix {
        private float[][] keys = new float[c.layers()][16 * c.kvDim()];
        private float[][] values = new float[c.layers()][16 * c.kvDim()];
        private int length;

        public int length() {
            return length;
        }

        /** Appends a token's keys and values: runs it through every layer. */
        public void append(int token) {
            Pass pass = run(this, embed(new int[] {token}), 1, Site.LM_HEAD, 0);
            int kv = c.kvDim();
            for (int l = 0; l < c.layers(); l++) {
                if ((length + 1) * kv > keys[l].length) {
                    keys[l] = Arrays.copyOf(keys[l], keys[l].length * 2);
                    values[l] = Arrays.copyOf(values[l], values[l].length * 2);
                }
                System.arraycopy(pass.qkv[l], c.qDim(), keys[l], length * kv, kv);
                System.arraycopy(pass.qkv[l], c.qDim() + kv, values[l], length * kv, kv);
            }
            length++;
        }
    }

    public Prefix prefix() {
        return new Prefix();
    }

    /** Embedding rows of {@code tokens}: tokens.length × dim. */
    public float[] embed(int[] tokens) {
        int dim = c.dim();
        float[] h = new float[tokens.length * dim];
        for (int r = 0; r < tokens.length; r++) p.tokenEmbedding().copyRow(tokens[r], dim, h, r * dim);
        return h;
    }

    /** Embedding rows of the whole vocabulary. */
    public float[] embedVocabulary() {
        int[] all = new int[c.vocabSize()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return embed(all);
    }

    /** Intermediate values of one run, kept for {@link #backward}. */
    public final class Pass {
        final Prefix prefix;
        final int n, stopLayer, stopStage;
        final float[][] x0, a, qkvRaw, qkv, probs, att, x1, b, gu, act;
        float[] xFinal, target;

        Pass(Prefix prefix, int n, int stopLayer, int stopStage) {
            this.prefix = prefix;
            this.n = n;
            this.stopLayer = stopLayer;
            this.stopStage = stopStage;
            int L = c.layers();
            x0 = new float[L][]; a = new float[L][]; qkvRaw = new float[L][]; qkv = new float[L][]; probs = new float[L][];
            att = new float[L][]; x1 = new float[L][]; b = new float[L][]; gu = new float[L][]; act = new float[L][];
        }

        /** The inputs at the requested site: n × inDim(site). */
        public float[] target() {
            return target;
        }
    }

    /**
     * Runs the n rows of {@code h} (input embeddings, n × dim), each alone at position {@code prefix.length()},
     * up to the input of ({@code site}, {@code layer}). DECODER_STACK stops at the final hidden state.
     */
    public Pass run(Prefix prefix, float[] h, int n, Site site, int layer) {
        int stopLayer = site == Site.LM_HEAD || site == Site.DECODER_STACK ? c.layers() : layer;
        int stopStage = switch (site) {
            case QKV, LM_HEAD, DECODER_STACK -> 0;
            case ATTN_OUT -> 1;
            case GATE_UP -> 2;
            case FFN_DOWN -> 3;
        };
        if (stopLayer < 0 || stopLayer > c.layers()) throw new IllegalArgumentException("no layer " + layer);
        var ps = new Pass(prefix, n, stopLayer, stopStage);
        int dim = c.dim(), hidden = c.hiddenDim(), qkvDim = qkvDim();
        float[] x = Arrays.copyOf(h, n * dim);
        for (int l = 0; l < c.layers(); l++) {
            ps.x0[l] = x;
            ps.a[l] = rmsnormRows(x, p.attnNorm()[l], n, dim);
            if (l == stopLayer && stopStage == 0) return done(ps, ps.a[l]);
            float[] qkv = new float[n * qkvDim];
            linear.apply(Projection.QKV, l, ps.a[l], n, qkv);
            if (p.qkvBias() != null) for (int r = 0; r < n; r++) add(qkv, r * qkvDim, p.qkvBias()[l], 0, qkvDim);
            ps.qkvRaw[l] = qkv.clone();
            normAndRope(qkv, n, l, prefix.length);
            ps.qkv[l] = qkv;
            attention(ps, l);
            if (l == stopLayer && stopStage == 1) return done(ps, ps.att[l]);
            float[] delta = new float[n * dim];
            linear.apply(Projection.ATTN_OUT, l, ps.att[l], n, delta);
            float[] x1 = x.clone();
            add(x1, 0, delta, 0, n * dim);
            ps.x1[l] = x1;
            ps.b[l] = rmsnormRows(x1, p.ffnNorm()[l], n, dim);
            if (l == stopLayer && stopStage == 2) return done(ps, ps.b[l]);
            float[] gu = new float[n * 2 * hidden];
            linear.apply(Projection.GATE_UP, l, ps.b[l], n, gu);
            ps.gu[l] = gu;
            float[] act = new float[n * hidden];
            for (int r = 0; r < n; r++) VectorMath.siluGate(gu, r * 2 * hidden, gu, r * 2 * hidden + hidden, act, r * hidden, hidden);
            ps.act[l] = act;
            if (l == stopLayer && stopStage == 3) return done(ps, act);
            linear.apply(Projection.FFN_DOWN, l, act, n, delta);
            x = x1.clone();
            add(x, 0, delta, 0, n * dim);
        }
        ps.xFinal = x;
        return done(ps, site == Site.DECODER_STACK ? x : rmsnormRows(x, p.finalNorm(), n, dim));
    }

    private static Pass done(Pass ps, float[] target) {
        ps.target = target;
        return ps;
    }

    /** Gradient with respect to the input embeddings (n × dim) of ⟨dTarget, target⟩. */
    public float[] backward(Pass ps, float[] dTarget) {
        int n = ps.n, dim = c.dim();
        float[] g;
        int from;
        if (ps.stopLayer == c.layers()) {
            g = ps.target == ps.xFinal ? dTarget.clone() : rmsnormBack(ps.xFinal, p.finalNorm(), dTarget, n, dim);
            from = c.layers() - 1;
            g = backLayer(ps, from, 4, g);
        } else {
            from = ps.stopLayer;
            g = backLayer(ps, from, ps.stopStage, dTarget);
        }
        for (int l = from - 1; l >= 0; l--) g = backLayer(ps, l, 4, g);
        return g;
    }

    /**
     * Backward through layer l from the input of {@code stage} (0 QKV, 1 ATTN_OUT, 2 GATE_UP, 3 FFN_DOWN) or,
     * for stage 4, from the layer's output; returns the gradient at the layer's input.
     */
    private float[] backLayer(Pass ps, int l, int stage, float[] g) {
        int n = ps.n, dim = c.dim(), hidden = c.hiddenDim();
        float[] dx2 = stage == 4 ? g : null;
        float[] dact = stage == 3 ? g : dx2 != null ? mulT(w.down()[l], dx2, n, dim, hidden) : null;
        float[] db = stage == 2 ? g : dact != null ? gateUpBack(ps, l, dact) : null;
        float[] dx1 = null;
        if (db != null) {
            dx1 = rmsnormBack(ps.x1[l], p.ffnNorm()[l], db, n, dim);
            if (dx2 != null) add(dx1, 0, dx2, 0, n * dim);
        }
        float[] datt = stage == 1 ? g : dx1 != null ? mulT(w.wo()[l], dx1, n, dim, c.qDim()) : null;
        float[] da = stage == 0 ? g : attentionBack(ps, l, datt);
        float[] dx0 = rmsnormBack(ps.x0[l], p.attnNorm()[l], da, n, dim);
        if (dx1 != null) add(dx0, 0, dx1, 0, n * dim);
        return dx0;
    }

    private float[] gateUpBack(Pass ps, int l, float[] dact) {
        int n = ps.n, hidden = c.hiddenDim(), dim = c.dim();
        float[] dg = new float[n * hidden], du = new float[n * hidden];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < hidden; i++) {
                float gv = ps.gu[l][r * 2 * hidden + i], uv = ps.gu[l][r * 2 * hidden + hidden + i], d = dact[r * hidden + i];
                float sig = 1f / (1f + (float) Math.exp(-gv));
                du[r * hidden + i] = d * gv * sig;
                dg[r * hidden + i] = d * uv * sig * (1f + gv * (1f - sig));
            }
        }
        float[] db = mulT(w.gate()[l], dg, n, hidden, dim);
        add(db, 0, mulT(w.up()[l], du, n, hidden, dim), 0, n * dim);
        return db;
    }

    private void attention(Pass ps, int l) {
        int n = ps.n, hd = c.headDim(), kvDim = c.kvDim(), qkvDim = qkvDim(), group = c.heads() / c.kvHeads();
        int pos = ps.prefix.length, len = pos + 1;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] keys = ps.prefix.keys[l], values = ps.prefix.values[l], qkv = ps.qkv[l];
        float[] probs = new float[n * c.heads() * len], att = new float[n * c.qDim()];
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < c.heads(); h++) {
                int q = r * qkvDim + h * hd, kvOff = (h / group) * hd, out = r * c.qDim() + h * hd, pr = (r * c.heads() + h) * len;
                float max = Float.NEGATIVE_INFINITY;
                int own = r * qkvDim + c.qDim() + kvOff;  // this row's own key; its value follows kvDim later
                for (int t = 0; t < len; t++) {
                    float s = t < pos ? VectorMath.dot(qkv, q, keys, t * kvDim + kvOff, hd) : VectorMath.dot(qkv, q, qkv, own, hd);
                    probs[pr + t] = s * scale;
                    max = Math.max(max, probs[pr + t]);
                }
                float sum = 0f;
                for (int t = 0; t < len; t++) {
                    probs[pr + t] = (float) Math.exp(probs[pr + t] - max);
                    sum += probs[pr + t];
                }
                for (int t = 0; t < len; t++) {
                    float wt = probs[pr + t] / sum;
                    probs[pr + t] = wt;
                    if (t < pos) VectorMath.axpy(wt, values, t * kvDim + kvOff, att, out, hd);
                    else VectorMath.axpy(wt, qkv, own + kvDim, att, out, hd);
                }
            }
        }
        ps.probs[l] = probs;
        ps.att[l] = att;
    }

    private float key(float[] keys, float[] qkv, int r, int t, int pos, int kvOff, int kvDim, int qkvDim, int i) {
        return t < pos ? keys[t * kvDim + kvOff + i] : qkv[r * qkvDim + c.qDim() + kvOff + i];
    }

    private float value(float[] values, float[] qkv, int r, int t, int pos, int kvOff, int kvDim, int qkvDim, int i) {
        return t < pos ? values[t * kvDim + kvOff + i] : qkv[r * qkvDim + c.qDim() + kvDim + kvOff + i];
    }

    /** Gradient at the attention-norm output a, given the gradient at the attention output. */
    private float[] attentionBack(Pass ps, int l, float[] datt) {
        int n = ps.n, hd = c.headDim(), kvDim = c.kvDim(), qkvDim = qkvDim(), group = c.heads() / c.kvHeads(), dim = c.dim();
        int pos = ps.prefix.length, len = pos + 1;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] keys = ps.prefix.keys[l], values = ps.prefix.values[l], qkv = ps.qkv[l], probs = ps.probs[l];
        float[] dqkv = new float[n * qkvDim];
        float[] dp = new float[len];
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < c.heads(); h++) {
                int q = r * qkvDim + h * hd, kvOff = (h / group) * hd, o = r * c.qDim() + h * hd, pr = (r * c.heads() + h) * len;
                float pdp = 0f;
                for (int t = 0; t < len; t++) {
                    float s = 0f;
                    for (int i = 0; i < hd; i++) s += datt[o + i] * value(values, qkv, r, t, pos, kvOff, kvDim, qkvDim, i);
                    dp[t] = s;
                    pdp += probs[pr + t] * s;
                }
                int dk = r * qkvDim + c.qDim() + kvOff, dv = dk + kvDim;
                for (int i = 0; i < hd; i++) dqkv[dv + i] += probs[pr + pos] * datt[o + i];
                for (int t = 0; t < len; t++) {
                    float ds = probs[pr + t] * (dp[t] - pdp) * scale;
                    for (int i = 0; i < hd; i++) dqkv[q + i] += ds * key(keys, qkv, r, t, pos, kvOff, kvDim, qkvDim, i);
                }
                float dsOwn = probs[pr + pos] * (dp[pos] - pdp) * scale;
                for (int i = 0; i < hd; i++) dqkv[dk + i] += dsOwn * qkv[q + i];
            }
        }
        // Back through RoPE (a rotation: apply its transpose) and the optional per-head QK norm.
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < c.heads() + c.kvHeads(); h++) {
                int off = r * qkvDim + h * hd;
                rope.unrotate(dqkv, off, pos);
                if (c.qkNorm()) {
                    float[] gain = h < c.heads() ? p.qNorm()[l] : p.kNorm()[l];
                    float[] back = rmsnormBack(Arrays.copyOfRange(ps.qkvRaw[l], off, off + hd), gain,
                            Arrays.copyOfRange(dqkv, off, off + hd), 1, hd);
                    System.arraycopy(back, 0, dqkv, off, hd);
                }
            }
        }
        float[] dq = slice(dqkv, n, qkvDim, 0, c.qDim()), dk = slice(dqkv, n, qkvDim, c.qDim(), kvDim);
        float[] dv = slice(dqkv, n, qkvDim, c.qDim() + kvDim, kvDim);
        float[] da = mulT(w.wq()[l], dq, n, c.qDim(), dim);
        add(da, 0, mulT(w.wk()[l], dk, n, kvDim, dim), 0, n * dim);
        add(da, 0, mulT(w.wv()[l], dv, n, kvDim, dim), 0, n * dim);
        return da;
    }

    private void normAndRope(float[] qkv, int n, int l, int pos) {
        int qkvDim = qkvDim(), hd = c.headDim();
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < c.heads() + c.kvHeads(); h++) {
                int off = r * qkvDim + h * hd;
                if (c.qkNorm()) RmsNorm.apply(qkv, off, qkv, off, h < c.heads() ? p.qNorm()[l] : p.kNorm()[l], hd, c.rmsEps());
                rope.rotate(qkv, off, pos);
            }
        }
    }

    private float[] rmsnormRows(float[] x, float[] gain, int n, int dim) {
        float[] out = new float[n * dim];
        RmsNorm.rows(out, x, gain, n, dim, c.rmsEps());
        return out;
    }

    /** dx of y = gain ⊙ x / rms(x), row by row. */
    private float[] rmsnormBack(float[] x, float[] gain, float[] dy, int n, int dim) {
        float[] dx = new float[n * dim];
        for (int r = 0; r < n; r++) {
            int o = r * dim;
            double ss = 0, dot = 0;
            for (int i = 0; i < dim; i++) {
                ss += (double) x[o + i] * x[o + i];
                dot += (double) gain[i] * dy[o + i] * x[o + i];
            }
            double inv = 1.0 / Math.sqrt(ss / dim + c.rmsEps()), k = inv * inv * inv * dot / dim;
            for (int i = 0; i < dim; i++) dx[o + i] = (float) (inv * gain[i] * dy[o + i] - k * x[o + i]);
        }
        return dx;
    }

    /** g (n × rows) times W (rows × cols): the gradient at the input of x·Wᵀ. */
    private float[] mulT(FloatTensor t, float[] g, int n, int rows, int cols) {
        float[] wt;
        synchronized (dense) {
            wt = dense.computeIfAbsent(t, k -> {
                float[] a = new float[rows * cols];
                for (int j = 0; j < rows; j++) k.copyRow(j, cols, a, j * cols);
                return a;
            });
        }
        float[] out = new float[n * cols];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < rows; j++) {
                float s = g[r * rows + j];
                if (s == 0f) continue;
                int wo = j * cols, oo = r * cols;
                for (int i = 0; i < cols; i++) out[oo + i] += s * wt[wo + i];
            }
        }
        return out;
    }

    private int qkvDim() {
        return c.qDim() + 2 * c.kvDim();
    }

    private static float[] slice(float[] a, int n, int stride, int offset, int width) {
        float[] out = new float[n * width];
        for (int r = 0; r < n; r++) System.arraycopy(a, r * stride + offset, out, r * width, width);
        return out;
    }

    private static void add(float[] x, int xo, float[] d, int dOff, int len) {
        for (int i = 0; i < len; i++) x[xo + i] += d[dOff + i];
    }
}
