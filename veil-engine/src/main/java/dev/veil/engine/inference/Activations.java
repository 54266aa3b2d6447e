package dev.veil.engine.inference;

import dev.veil.engine.model.LlamaConfig;

/**
 * The forward pass's working arrays for one sequence (held by its {@link KVCache}): sized for the largest batch of
 * rows run so far and reused, so decoding a token allocates nothing.
 */
final class Activations {
    final int rows;
    final float[] x, xb, qkv, att, delta, gu, act;
    /** The last row, normalized, and its logits (what {@link Forward#next} returns). */
    final float[] normed, logits;
    final int[] token = new int[1];
    final Attention attention;

    private Activations(LlamaConfig c, int rows) {
        this.rows = rows;
        int dim = c.dim(), hidden = c.hiddenDim();
        x = new float[rows * dim];
        xb = new float[rows * dim];
        qkv = new float[rows * Projection.QKV.outDim(c)];
        att = new float[rows * c.qDim()];
        delta = new float[rows * dim];
        gu = new float[rows * 2 * hidden];
        act = new float[rows * hidden];
        normed = new float[dim];
        logits = new float[c.vocabSize()];
        attention = new Attention(c);
    }

    /** The cache's arrays, grown to at least {@code rows} rows. */
    static Activations of(KVCache cache, LlamaConfig c, int rows) {
        Activations a = cache.activations;
        if (a == null || a.rows < rows) cache.activations = a = new Activations(c, rows);
        return a;
    }
}
