package dev.veil.engine.inference;

import dev.veil.engine.Parallel;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.tensor.AttentionKernels;
import dev.veil.engine.tensor.Lanes;
import dev.veil.engine.tensor.VectorMath;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Causal multi-head attention with grouped KV heads over the KV cache. One instance per sequence (in its
 * {@link Activations}): a call sets its arguments here and runs this object as the parallel body, so decoding
 * allocates nothing.
 *
 * <p>Decode (fewer than {@link #TILED_ROWS} rows) runs one task per (row, head): a dot product per key, an axpy per
 * value. Prefill runs one task per (row, KV head) over {@link AttentionKernels}' tiles: the call first transposes the
 * layer's keys into blocks of {@link Lanes#L} positions, shared by every row and head of the call, then each task
 * scores L keys per kernel call for each head of its group and sums the values for 4 heads at once. Every score,
 * weight and output rounds as in the per-head path (the same terms in the same order; {@code AttentionTest}).
 *
 * <p>Over an F16 cache each stored key and value row is widened to float first, then goes through the same
 * arithmetic as F32's, in the same order (only the stored values' rounding differs).
 */
final class Attention implements IntConsumer {
    /**
     * Per thread: the attention weights of one task, grown to the longest sequence, one widened F16 row of keys
     * or values, grown to the head dimension, and the tiled scores' work area.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);
    /** Rows from which a call runs the tiled path (the key transposition pays for itself many times over). */
    static final int TILED_ROWS = 8;

    private final LlamaConfig c;
    private final int hd, kvDim, qkvDim, group;
    private final float scale;
    /** The current call. */
    private KVCache cache;
    private int layer, start;
    private float[] qkv, att;
    /**
     * The tiled path's keys, transposed (KV head g, block b of L positions: [(g·blocks + b)·hd·L + d·L + lane]), and
     * over an F16 cache its values widened; grown to the longest call, then reused.
     */
    private float[] kt = new float[0], widenedValues = new float[0];
    private int blocks, kvLen, rows;
    private final IntConsumer transposeTask = this::transpose, groupTask = this::attendGroup;

    Attention(LlamaConfig c) {
        this.c = c;
        hd = c.headDim();
        kvDim = c.kvDim();
        qkvDim = Projection.QKV.outDim(c);
        group = c.heads() / c.kvHeads();
        scale = (float) (1.0 / Math.sqrt(hd));
    }

    /** att (n × qDim) from the queries in qkv (n rows of [q | k | v]) at positions start.., layer's keys and values. */
    void apply(KVCache cache, int layer, float[] qkv, float[] att, int n, int start) {
        apply(cache, layer, qkv, att, n, start, n >= TILED_ROWS);
    }

    /** {@link #apply} by the tiled path or the per-head one (tests compare them; both give the same bits). */
    void apply(KVCache cache, int layer, float[] qkv, float[] att, int n, int start, boolean tiled) {
        this.cache = cache;
        this.layer = layer;
        this.qkv = qkv;
        this.att = att;
        this.start = start;
        try {
            if (tiled && hd % Lanes.SUMS == 0) {
                tiled(start + n, n);
            } else {
                Parallel.forEach(n * c.heads(), this);
            }
        } finally {  // hold no arrays between calls
            this.cache = null;
            this.qkv = null;
            this.att = null;
        }
    }

    /** Row task / heads, head task % heads. */
    @Override
    public void accept(int task) {
        int r = task / c.heads(), h = task % c.heads(), len = start + r + 1;
        int q = r * qkvDim + h * hd, kvOff = (h / group) * hd, out = r * c.qDim() + h * hd;
        float[] scores = scores(len);
        boolean f16 = cache.type == KVCache.Type.F16;
        float[] keys = f16 ? widened(hd) : cache.keys[layer], values = f16 ? keys : cache.values[layer];
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < len; t++) {
            int k = t * kvDim + kvOff;
            if (f16) {
                cache.widen(layer, true, k, keys, hd);
                k = 0;
            }
            scores[t] = VectorMath.dot(qkv, q, keys, k, hd) * scale;
            max = Math.max(max, scores[t]);
        }
        float sum = 0f;
        for (int t = 0; t < len; t++) {
            scores[t] = (float) Math.exp(scores[t] - max);
            sum += scores[t];
        }
        Arrays.fill(att, out, out + hd, 0f);
        for (int t = 0; t < len; t++) {
            int v = t * kvDim + kvOff;
            if (f16) {
                cache.widen(layer, false, v, values, hd);
                v = 0;
            }
            VectorMath.axpy(scores[t] / sum, values, v, att, out, hd);
        }
    }

    /** The tiled path for n rows over kvLen positions. */
    private void tiled(int kvLen, int n) {
        int l = Lanes.L;
        this.kvLen = kvLen;
        this.rows = n;
        blocks = (kvLen + l - 1) / l;
        int size = c.kvHeads() * blocks * hd * l;
        if (kt.length < size) kt = new float[size];
        if (cache.type == KVCache.Type.F16 && widenedValues.length < kvLen * kvDim) widenedValues = new float[kvLen * kvDim];
        Parallel.forEachCoarse(c.kvHeads(), transposeTask);
        Parallel.forEachCoarse(n * c.kvHeads(), groupTask);
    }

    /** Keys of KV head g into their blocks (zeros past the last position); over F16, that head's values widened. */
    private void transpose(int g) {
        int l = Lanes.L;
        boolean f16 = cache.type == KVCache.Type.F16;
        for (int t = 0; t < blocks * l; t++) {
            int base = (g * blocks + t / l) * hd * l + t % l, k = t * kvDim + g * hd;
            for (int d = 0; d < hd; d++) {
                float key = t >= kvLen ? 0f : f16 ? Float.float16ToFloat(cache.keys16[layer][k + d]) : cache.keys[layer][k + d];
                kt[base + d * l] = key;
                if (f16 && t < kvLen) widenedValues[k + d] = Float.float16ToFloat(cache.values16[layer][k + d]);
            }
        }
    }

    /**
     * Row n - 1 - task / kvHeads (the longest rows first, so that the last tasks claimed are the shortest), KV head
     * task % kvHeads: every head of the group, scores first, then the weighted sums.
     */
    private void attendGroup(int task) {
        int r = rows - 1 - task / c.kvHeads(), g = task % c.kvHeads(), len = start + r + 1, l = Lanes.L;
        int stride = (len + l - 1) / l * l;
        float[] p = scores(group * stride), work = SCRATCH.get()[2];
        if (work.length < 8 * l) SCRATCH.get()[2] = work = new float[8 * l];
        for (int i = 0; i < group; i++) {
            int q = r * qkvDim + (g * group + i) * hd, at = i * stride;
            for (int b = 0; b * l < len; b++) {
                AttentionKernels.scores(qkv, q, kt, (g * blocks + b) * hd * l, hd, scale, work, p, at + b * l);
            }
            float max = AttentionKernels.max(p, at, len), sum = 0f;
            for (int t = 0; t < len; t++) {  // the scalar exponential and the sum in position order, as per head
                p[at + t] = (float) Math.exp(p[at + t] - max);
                sum += p[at + t];
            }
            AttentionKernels.divide(p, at, len, sum);
        }
        float[] values = cache.type == KVCache.Type.F16 ? widenedValues : cache.values[layer];
        int out = r * c.qDim() + g * group * hd;
        for (int i0 = 0; i0 < group; i0 += 4) {
            int i1 = Math.min(i0 + 1, group - 1), i2 = Math.min(i0 + 2, group - 1), i3 = Math.min(i0 + 3, group - 1);
            for (int d = 0; d < hd; d += 2 * l) {
                AttentionKernels.weightedSum(p, i0 * stride, i1 * stride, i2 * stride, i3 * stride, values, g * hd, kvDim, len,
                        att, out + i0 * hd, out + i1 * hd, out + i2 * hd, out + i3 * hd, d, Math.min(d + l, hd - l));
            }
        }
    }

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
}
