package dev.veil.engine.ring;

/**
 * An integer ring Z_2^k for the exact numeric mode, with its fixed-point encoding of activations.
 *
 * <p>An activation x becomes the integer {@code round(x · 2^fractionBits)}, clamped to {@code activationBits}
 * signed bits; a weight row W_j becomes {@code round(W_j / s_j)} with one scale s_j per output row, so that its
 * largest entry uses all {@code weightBits} signed bits. Products are summed with wrap-around in Z_2^k and a
 * sum is read back as its signed representative: {@code y_j = acc_j · s_j · 2^-fractionBits}. Every step is
 * deterministic integer arithmetic, so any two parties that follow it (the plain engine, or a trusted node that
 * masks and restores over the same ring) obtain the same bits. In Z_2^64 the sum cannot wrap for
 * d_in ≤ 2^15 (32 + 16 + 15 bits); in Z_2^32 it can on large models, which changes the value but not its
 * reproducibility.
 */
public enum Ring {
    /** Z_2^32: 8 fractional bits, activations within ±128, 8-bit weights. */
    Z32(32, 8, 16, 8),
    /** Z_2^64: 16 fractional bits, activations within ±32768, 16-bit weights. */
    Z64(64, 16, 32, 16);

    public final int bits;
    public final int fractionBits;
    public final int activationBits;
    public final int weightBits;
    private final long maxActivation;
    private final double scale, inverseScale;

    Ring(int bits, int fractionBits, int activationBits, int weightBits) {
        this.bits = bits;
        this.fractionBits = fractionBits;
        this.activationBits = activationBits;
        this.weightBits = weightBits;
        this.maxActivation = (1L << (activationBits - 1)) - 1;
        this.scale = Math.scalb(1.0, fractionBits);
        this.inverseScale = Math.scalb(1.0, -fractionBits);
    }

    /** Bytes per element on the wire. */
    public int bytes() {
        return bits / 8;
    }

    /** Largest encoded activation magnitude (encodings are clamped to it). */
    public long maxActivation() {
        return maxActivation;
    }

    /** Largest weight magnitude after quantization. */
    public int maxWeight() {
        return (1 << (weightBits - 1)) - 1;
    }

    /** The canonical (signed) representative of v mod 2^bits. */
    public long wrap(long v) {
        return bits == 64 ? v : (int) v;
    }

    /** Fixed-point encoding of one activation. */
    public long quantize(float x) {
        if (Float.isNaN(x)) throw new ArithmeticException("activation is NaN");
        long q = Math.round(x * scale);
        return Math.max(-maxActivation, Math.min(maxActivation, q));
    }

    /** Encodes x[0, count) into q[0, count). */
    public void quantize(float[] x, int count, long[] q) {
        for (int i = 0; i < count; i++) q[i] = quantize(x[i]);
    }

    /** Reads back out[outOffset + r·cols + j] = acc[r·cols + j] · rowScale[j] · 2^-fractionBits for {@code rows} rows. */
    public void dequantize(long[] acc, int rows, int cols, float[] rowScale, float[] out, int outOffset) {
        for (int r = 0; r < rows; r++) {
            int a = r * cols, o = outOffset + r * cols;
            for (int j = 0; j < cols; j++) out[o + j] = (float) (wrap(acc[a + j]) * inverseScale * rowScale[j]);
        }
    }

    /** A uniformly random ring element from 8 random bytes (given as a long). */
    public long element(long randomBits) {
        return wrap(randomBits);
    }
}
