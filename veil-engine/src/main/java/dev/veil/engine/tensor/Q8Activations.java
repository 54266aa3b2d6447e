package dev.veil.engine.tensor;

/**
 * Input rows quantized like Q8_0 (per 32 values: d = max|x|/127, q = round(x/d)) for the integer decode
 * kernels. The int8 values are kept widened to shorts, the width the kernels multiply at. One instance per
 * calling thread, grown to the largest input seen and reused: decode quantizes its input without garbage.
 */
final class Q8Activations {
    static final int BLOCK = 32;
    private static final ThreadLocal<Q8Activations> REUSED = ThreadLocal.withInitial(() -> new Q8Activations(0));

    final short[] q;
    final float[] d;
    /** Per block, d·Σ q (lets Q4_0 fold its -8 offset into one multiply per block). */
    final float[] scaledSums;

    private Q8Activations(int values) {
        q = new short[values];
        d = new float[values / BLOCK];
        scaledSums = new float[values / BLOCK];
    }

    /**
     * Quantizes x[0, n·cols) (cols a multiple of 32) into this thread's instance, which the caller may read (and
     * hand to other threads) until its next call.
     */
    static Q8Activations quantize(float[] x, int n, int cols) {
        var a = REUSED.get();
        if (a.q.length < n * cols) REUSED.set(a = new Q8Activations(n * cols));
        for (int b = 0; b < n * cols / BLOCK; b++) {
            int o = b * BLOCK;
            float amax = 0f;
            for (int i = 0; i < BLOCK; i++) amax = Math.max(amax, Math.abs(x[o + i]));
            float d = amax / 127f, id = d != 0f ? 1f / d : 0f;
            int sum = 0;
            for (int i = 0; i < BLOCK; i++) {
                short v = (short) Math.round(x[o + i] * id);
                a.q[o + i] = v;
                sum += v;
            }
            a.d[b] = d;
            a.scaledSums[b] = d * sum;
        }
        return a;
    }

    /** A weight format with an integer decode kernel against these activations. */
    sealed interface Kernel permits Q8_0Tensor, Q4_0Tensor {
        /** Σ over {@code blocks} weight blocks from {@code first} against activation blocks from {@code xBlock}. */
        float dotQ8(long first, Q8Activations a, int xBlock, int blocks);
    }
}
