package dev.veil.engine.tensor;

/**
 * The input rows of a decode call as its kernels read them: quantized like Q8_0 (per 32 values: d = max|x|/127,
 * q = round(x/d); the int8 values kept widened to shorts, the width Q8_0's kernel multiplies at), and the float rows
 * with their per-block sums (Q4_0's kernel). One instance per calling thread, grown to the largest input seen and
 * reused: decode prepares its input without garbage, once per fused projection.
 */
final class DecodeInput {
    static final int BLOCK = 32;
    private static final ThreadLocal<DecodeInput> REUSED = ThreadLocal.withInitial(() -> new DecodeInput(0));

    final short[] q;
    final float[] d;
    /** Per block, Σ x in float, left to right (lets Q4_0 fold its -8 offset into one term per block). */
    final float[] sums;
    /** The input of the current call (the caller's array). */
    float[] x;

    private DecodeInput(int values) {
        q = new short[values];
        d = new float[values / BLOCK];
        sums = new float[values / BLOCK];
    }

    /**
     * Prepares x[0, n·cols) (cols a multiple of 32) in this thread's instance, which the caller may read (and
     * hand to other threads) until its next call.
     */
    static DecodeInput of(float[] x, int n, int cols) {
        var a = REUSED.get();
        if (a.q.length < n * cols) REUSED.set(a = new DecodeInput(n * cols));
        a.x = x;
        for (int b = 0; b < n * cols / BLOCK; b++) {
            int o = b * BLOCK;
            float amax = 0f, plain = 0f;
            for (int i = 0; i < BLOCK; i++) {
                amax = Math.max(amax, Math.abs(x[o + i]));
                plain += x[o + i];
            }
            a.sums[b] = plain;
            float d = amax / 127f, id = d != 0f ? 1f / d : 0f;
            for (int i = 0; i < BLOCK; i++) a.q[o + i] = (short) Math.round(x[o + i] * id);
            a.d[b] = d;
        }
        return a;
    }

    /** A weight format with a decode kernel against this prepared input. */
    sealed interface Kernel permits Q8_0Tensor, Q4_0Tensor {
        /** Σ over {@code blocks} weight blocks from {@code first} against input blocks from {@code xBlock}. */
        float decodeDot(long first, DecodeInput a, int xBlock, int blocks);
    }
}
