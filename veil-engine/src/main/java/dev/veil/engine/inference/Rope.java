package dev.veil.engine.inference;

import dev.veil.engine.model.LlamaConfig;

/**
 * Rotary position embedding of one head: pairs of a head's values are rotated by pos·θ_i, with
 * θ_i = ropeTheta^(-2i/headDim), divided by the model's frequency factors (Llama 3 scaling) when it has them.
 * The forward pass and the attack lab's shadow decoder both rotate with this class.
 */
public final class Rope {
    private final int headDim;
    private final boolean adjacent;
    private final float[] invFreq;
    /** cos and sin of pos·θ_i at [pos·headDim/2 + i], for the positions seen so far (grown by doubling). */
    private volatile Table table = new Table(new float[0], new float[0], 0);

    private record Table(float[] cos, float[] sin, int positions) {}

    public Rope(LlamaConfig c) {
        headDim = c.headDim();
        adjacent = c.ropeStyle() == LlamaConfig.RopeStyle.ADJACENT;
        int half = headDim / 2;
        invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            double f = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / headDim);
            if (c.ropeFreqFactors() != null) f /= c.ropeFreqFactors()[i];
            invFreq[i] = (float) f;
        }
    }

    /** Rotates the head at {@code v[off..off+headDim)} to position {@code pos}, in place. */
    public void rotate(float[] v, int off, int pos) {
        rotate(v, off, pos, 1f);
    }

    /** The inverse rotation (the transpose): what back-propagation through RoPE applies. */
    public void unrotate(float[] v, int off, int pos) {
        rotate(v, off, pos, -1f);
    }

    private void rotate(float[] v, int off, int pos, float direction) {
        int half = headDim / 2;
        Table t = table;
        if (pos >= t.positions) t = grow(pos + 1);
        for (int i = 0, at = pos * half; i < half; i++, at++) {
            float cos = t.cos[at], sin = direction * t.sin[at];
            int a, b;
            if (adjacent) { a = off + 2 * i; b = a + 1; }
            else { a = off + i; b = a + half; }
            float v0 = v[a], v1 = v[b];
            v[a] = v0 * cos - v1 * sin;
            v[b] = v0 * sin + v1 * cos;
        }
    }

    /** The table extended to at least {@code positions} (same float arithmetic as computing each angle on use). */
    private synchronized Table grow(int positions) {
        Table t = table;
        if (positions <= t.positions) return t;
        int half = headDim / 2, size = Math.max(positions, 2 * t.positions);
        float[] cos = java.util.Arrays.copyOf(t.cos, size * half), sin = java.util.Arrays.copyOf(t.sin, size * half);
        for (int pos = t.positions; pos < size; pos++) {
            for (int i = 0; i < half; i++) {
                float angle = pos * invFreq[i];
                cos[pos * half + i] = (float) Math.cos(angle);
                sin[pos * half + i] = (float) Math.sin(angle);
            }
        }
        table = t = new Table(cos, sin, size);
        return t;
    }
}
