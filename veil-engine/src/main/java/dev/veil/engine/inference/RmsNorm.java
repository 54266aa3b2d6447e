package dev.veil.engine.inference;

/**
 * RMSNorm, y = gain ⊙ x / sqrt(mean(x²) + eps), with the float operations the forward pass has always used (the
 * golden logits depend on them). The attack lab's shadow decoder normalizes with the same code.
 */
public final class RmsNorm {
    private RmsNorm() {}

    /** Normalizes {@code x[xOff..xOff+size)} into {@code out[outOff..)}; out may be x. */
    public static void apply(float[] out, int outOff, float[] x, int xOff, float[] gain, int size, float eps) {
        float ss = 0f;
        for (int i = 0; i < size; i++) ss += x[xOff + i] * x[xOff + i];
        float inv = (float) (1.0 / Math.sqrt(ss / size + eps));
        for (int i = 0; i < size; i++) out[outOff + i] = gain[i] * (inv * x[xOff + i]);
    }

    /** Normalizes each of the n rows (width dim) of {@code x} into {@code out}. */
    public static void rows(float[] out, float[] x, float[] gain, int n, int dim, float eps) {
        for (int r = 0; r < n; r++) apply(out, r * dim, x, r * dim, gain, dim, eps);
    }
}
