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
            attention(cache, l, qkv, att, n, start);
            linear.apply(Projection.ATTN_OUT, l, att, n, delta);
            addInPlace(x, delta, n * dim);

            rmsnormRows(xb, x, p.ffnNorm()[l], n, dim);
            linear.apply(Projection.GATE_UP, l, xb, n, gu);
            Parallel.forEach(n, r -> VectorMath.siluGate(gu, r * 2 * hidden, gu, r * 2 * hidden + hidden, act, r * hidden, hidden));
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

    /** Causal multi-head attention with grouped KV heads, one task per (row, head). */
    private void attention(KVCache cache, int layer, float[] qkv, float[] att, int n, int start) {
        int hd = c.headDim(), kvDim = c.kvDim(), qkvDim = Projection.QKV.outDim(c), group = c.heads() / c.kvHeads();
        float scale = (float) (1.0 / Math.sqrt(hd));
        if (cache.type == KVCache.Type.F16) {
            attentionF16(cache, layer, qkv, att, n, start);
            return;
        }
        float[] keys = cache.keys[layer], values = cache.values[layer];
        Parallel.forEach(n * c.heads(), task -> {
            int r = task / c.heads(), h = task % c.heads(), len = start + r + 1;
            int q = r * qkvDim + h * hd, kvOff = (h / group) * hd, out = r * c.qDim() + h * hd;
            float[] scores = scores(len);
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < len; t++) {
                scores[t] = VectorMath.dot(qkv, q, keys, t * kvDim + kvOff, hd) * scale;
                max = Math.max(max, scores[t]);
            }
            float sum = 0f;
            for (int t = 0; t < len; t++) {
                scores[t] = (float) Math.exp(scores[t] - max);
                sum += scores[t];
            }
            java.util.Arrays.fill(att, out, out + hd, 0f);
            for (int t = 0; t < len; t++) {
                float w = scores[t] / sum;
                int v = t * kvDim + kvOff;
                VectorMath.axpy(w, values, v, att, out, hd);
            }
        });
    }

    /**
     * {@link #attention} over an F16 cache: each stored key and value row is widened to float first, then goes through
     * the same dot product and axpy as F32's, in the same order (only the stored values' rounding differs).
     */
    private void attentionF16(KVCache cache, int layer, float[] qkv, float[] att, int n, int start) {
        int hd = c.headDim(), kvDim = c.kvDim(), qkvDim = Projection.QKV.outDim(c), group = c.heads() / c.kvHeads();
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forEach(n * c.heads(), task -> {
            int r = task / c.heads(), h = task % c.heads(), len = start + r + 1;
            int q = r * qkvDim + h * hd, kvOff = (h / group) * hd, out = r * c.qDim() + h * hd;
            float[] scores = scores(len), row = widened(hd);
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < len; t++) {
                cache.widen(layer, true, t * kvDim + kvOff, row, hd);
                scores[t] = VectorMath.dot(qkv, q, row, 0, hd) * scale;
                max = Math.max(max, scores[t]);
            }
            float sum = 0f;
            for (int t = 0; t < len; t++) {
                scores[t] = (float) Math.exp(scores[t] - max);
                sum += scores[t];
            }
            java.util.Arrays.fill(att, out, out + hd, 0f);
            for (int t = 0; t < len; t++) {
                cache.widen(layer, false, t * kvDim + kvOff, row, hd);
                VectorMath.axpy(scores[t] / sum, row, 0, att, out, hd);
            }
        });
    }

    /**
     * Per thread: the attention weights of one (row, head) task, grown to the longest sequence, and one widened F16
     * row of keys or values, grown to the head dimension.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private static float[] scores(int len) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < len) holder[0] = new float[Math.max(len, 2 * holder[0].length)];
        return holder[0];
    }

    private static float[] widened(int hd) {
        float[][] holder = SCRATCH.get();
        if (holder[1].length < hd) holder[1] = new float[hd];
        return holder[1];
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
