package dev.veil.engine.inference;

import dev.veil.engine.Parallel;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.tensor.VectorMath;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Causal multi-head attention with grouped KV heads over the KV cache, one task per (row, head). One instance per
 * sequence (in its {@link Activations}): a call sets its arguments here and runs this object as the parallel body,
 * so decoding allocates nothing.
 *
 * <p>Over an F16 cache each stored key and value row is widened to float first, then goes through the same dot
 * product and axpy as F32's, in the same order (only the stored values' rounding differs).
 */
final class Attention implements IntConsumer {
    /**
     * Per thread: the attention weights of one task, grown to the longest sequence, and one widened F16 row of keys
     * or values, grown to the head dimension.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private final LlamaConfig c;
    private final int hd, kvDim, qkvDim, group;
    private final float scale;
    /** The current call. */
    private KVCache cache;
    private int layer, start;
    private float[] qkv, att;

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
        this.cache = cache;
        this.layer = layer;
        this.qkv = qkv;
        this.att = att;
        this.start = start;
        try {
            Parallel.forEach(n * c.heads(), this);
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
