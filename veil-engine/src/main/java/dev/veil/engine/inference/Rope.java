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
        for (int i = 0; i < half; i++) {
            float angle = pos * invFreq[i];
            float cos = (float) Math.cos(angle), sin = direction * (float) Math.sin(angle);
            int a, b;
            if (adjacent) { a = off + 2 * i; b = a + 1; }
            else { a = off + i; b = a + half; }
            float v0 = v[a], v1 = v[b];
            v[a] = v0 * cos - v1 * sin;
            v[b] = v0 * sin + v1 * cos;
        }
    }
}
