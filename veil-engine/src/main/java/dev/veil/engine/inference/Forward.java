package dev.veil.engine.inference;

import dev.veil.engine.Parallel;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.NodeParams;
import dev.veil.engine.tensor.VectorMath;

/**
 * The decoder forward pass. Everything here is weight-free (embedding lookup, RMSNorm, RoPE, attention over the
 * KV cache, SiLU gating, residual adds); every weight multiply is delegated to {@link LinearOps}. This is
 * exactly the code a trusted node runs.
 */
public final class Forward {
    private final LlamaConfig c;
    private final NodeParams p;
    private final LinearOps linear;
    private final Rope rope;

    public Forward(LlamaConfig config, NodeParams params, LinearOps linear) {
        if (params == null) throw new IllegalArgumentException("model was loaded without its embedding and norms");
        this.c = config;
        this.p = params;
        this.linear = linear;
        this.rope = new Rope(c);
    }

    public LlamaConfig config() { return c; }

    /**
     * Runs {@code tokens} at the positions following those already in {@code cache}, appends their keys and
     * values, and returns the logits of the last token (vocab values) or of every token (n × vocab).
     */
    public float[] forward(int[] tokens, KVCache cache, boolean allLogits) {
        float[] x = embed(tokens);
        layers(x, tokens.length, cache);
        return head(x, tokens.length, allLogits);
    }

    /**
     * Like {@link #forward} for the last token's logits, without garbage: the logits are an array the cache owns,
     * overwritten by the next call on the same cache (the decode loop's step).
     */
    public float[] next(int[] tokens, KVCache cache) {
        int n = tokens.length, chunks = chunks(n), dim = c.dim();
        if (n == 0) throw new IllegalArgumentException("no tokens to run");
        for (int t : tokens) checkToken(t);
        checkCapacity(cache, n);
        var a = Activations.of(cache, c, ceilDiv(n, chunks));
        int rows = 0;
        for (int i = 0, from = 0; i < chunks; i++, from += rows) {
            rows = (int) ((long) n * (i + 1) / chunks) - from;
            embed(tokens, from, rows, a.x);
            layersInPlace(a.x, rows, cache);
        }
        RmsNorm.apply(a.normed, 0, a.x, (rows - 1) * dim, p.finalNorm(), dim, c.rmsEps());
        linear.apply(Projection.LM_HEAD, 0, a.normed, 1, a.logits);
        return a.logits;
    }

    /** {@link #next} for one token. */
    public float[] next(int token, KVCache cache) {
        var a = Activations.of(cache, c, 1);
        a.token[0] = token;
        return next(a.token, cache);
    }

    /** The embedding rows of {@code tokens} (n × dim): the input of the first layer. */
    public float[] embed(int[] tokens) {
        float[] x = new float[tokens.length * c.dim()];
        embed(tokens, x);
        return x;
    }

    private void embed(int[] tokens, float[] x) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to run");
        embed(tokens, 0, tokens.length, x);
    }

    /** Embedding rows of tokens[from, from + n) into x[0, n·dim). */
    private void embed(int[] tokens, int from, int n, float[] x) {
        int dim = c.dim();
        for (int r = 0; r < n; r++) {
            int t = tokens[from + r];
            checkToken(t);
            p.tokenEmbedding().copyRow(t, dim, x, r * dim);
        }
    }

    /**
     * The decoder layers, in place on {@code x} (n × dim hidden states) at the positions following those
     * already in {@code cache}; appends their keys and values. Needs only the layers' norms and weights.
     */
    public void layers(float[] x, int n, KVCache cache) {
        int dim = c.dim(), chunks = chunks(n);
        if (n == 0) throw new IllegalArgumentException("no tokens to run");
        if (x.length < n * dim) throw new IllegalArgumentException("hidden states hold " + x.length + " values, need " + n + "x" + dim);
        checkCapacity(cache, n);
        if (chunks == 1) {
            layersInPlace(x, n, cache);
            return;
        }
        var a = Activations.of(cache, c, ceilDiv(n, chunks));
        for (int i = 0, from = 0; i < chunks; i++) {
            int to = (int) ((long) n * (i + 1) / chunks), rows = to - from;
            System.arraycopy(x, from * dim, a.x, 0, rows * dim);
            layersInPlace(a.x, rows, cache);
            System.arraycopy(a.x, 0, x, from * dim, rows * dim);
            from = to;
        }
    }

    /**
     * Rows run through the layers at once: a longer sequence runs in near-equal chunks of at most this many, which
     * bounds the working arrays (at the 1B shape, 512 rows would hold 70 MB per session). Every chunk keeps at least
     * 64 rows, far above the row count where the matrix kernels change method, and each output row is computed the
     * same whatever the other rows of its call, so the results equal one pass over all rows.
     */
    static final int MAX_ROWS = 128;

    private static int chunks(int n) {
        return Math.max(1, ceilDiv(n, MAX_ROWS));
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Checked before any row runs, so a refused call leaves the cache as it was. */
    private static void checkCapacity(KVCache cache, int n) {
        if (cache.length + n > cache.capacity) {
            throw new IllegalArgumentException("sequence of " + (cache.length + n) + " tokens exceeds the context of " + cache.capacity);
        }
    }

    private void checkToken(int t) {
        if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token id " + t + " outside vocabulary of " + c.vocabSize());
    }

    /** {@link #layers} for at most {@link #MAX_ROWS} rows (capacity checked by the caller). */
    private void layersInPlace(float[] x, int n, KVCache cache) {
        int dim = c.dim(), start = cache.length;
        int hidden = c.hiddenDim();
        var a = Activations.of(cache, c, n);
        float[] xb = a.xb, qkv = a.qkv, att = a.att, delta = a.delta, gu = a.gu, act = a.act;
        for (int l = 0; l < c.layers(); l++) {
            rmsnormRows(xb, x, p.attnNorm()[l], n, dim);
            linear.apply(Projection.QKV, l, xb, n, qkv);
            prepareQkv(qkv, n, l, start);
            storeKv(cache, l, qkv, n, start);
            a.attention.apply(cache, l, qkv, att, n, start);
            linear.apply(Projection.ATTN_OUT, l, att, n, delta);
            addInPlace(x, delta, n * dim);

            rmsnormRows(xb, x, p.ffnNorm()[l], n, dim);
            linear.apply(Projection.GATE_UP, l, xb, n, gu);
            siluGate(gu, act, n, hidden);
            linear.apply(Projection.FFN_DOWN, l, act, n, delta);
            addInPlace(x, delta, n * dim);
        }
        cache.length = start + n;
    }

    /** Final norm and LM head: the logits of the last of the n rows of {@code x}, or of every row. */
    public float[] head(float[] x, int n, boolean allLogits) {
        int dim = c.dim(), rows = allLogits ? n : 1;
        float[] last = new float[rows * dim];
        System.arraycopy(x, (n - rows) * dim, last, 0, rows * dim);
        float[] normed = new float[rows * dim];
        rmsnormRows(normed, last, p.finalNorm(), rows, dim);
        float[] logits = new float[rows * c.vocabSize()];
        linear.apply(Projection.LM_HEAD, 0, normed, rows, logits);
        return logits;
    }

    /** Bias (qwen2), per-head QK RMSNorm (qwen3) and RoPE, in place on each row's [q | k | v]. */
    private void prepareQkv(float[] qkv, int n, int layer, int start) {
        int qkvDim = Projection.QKV.outDim(c), hd = c.headDim();
        for (int r = 0; r < n; r++) {
            int row = r * qkvDim;
            if (p.qkvBias() != null) addInPlace(qkv, row, p.qkvBias()[layer], qkvDim);
            for (int h = 0; h < c.heads() + c.kvHeads(); h++) {
                int off = row + h * hd;  // q heads, then k heads (contiguous)
                if (c.qkNorm()) RmsNorm.apply(qkv, off, qkv, off, h < c.heads() ? p.qNorm()[layer] : p.kNorm()[layer], hd, c.rmsEps());
                rope.rotate(qkv, off, start + r);
            }
        }
    }

    private void storeKv(KVCache cache, int layer, float[] qkv, int n, int start) {
        int kvDim = c.kvDim(), qkvDim = Projection.QKV.outDim(c);
        for (int r = 0; r < n; r++) {
            cache.store(layer, true, qkv, r * qkvDim + c.qDim(), (start + r) * kvDim, kvDim);
            cache.store(layer, false, qkv, r * qkvDim + c.qDim() + kvDim, (start + r) * kvDim, kvDim);
        }
    }

    /** act_r = SiLU(gate_r) ⊙ up_r for each row [gate | up] of gu; one row (decode) runs here, without a task. */
    private static void siluGate(float[] gu, float[] act, int n, int hidden) {
        if (n == 1) {
            VectorMath.siluGate(gu, 0, gu, hidden, act, 0, hidden);
            return;
        }
        Parallel.forEachCoarse(n, r -> VectorMath.siluGate(gu, r * 2 * hidden, gu, r * 2 * hidden + hidden, act, r * hidden, hidden));
    }

    private void rmsnormRows(float[] out, float[] x, float[] gain, int n, int dim) {
        RmsNorm.rows(out, x, gain, n, dim, c.rmsEps());
    }

    private static void addInPlace(float[] x, float[] d, int n) {
        for (int i = 0; i < n; i++) x[i] += d[i];
    }

    private static void addInPlace(float[] x, int off, float[] d, int n) {
        for (int i = 0; i < n; i++) x[off + i] += d[i];
    }
}
