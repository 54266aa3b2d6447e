package dev.veil.engine.tensor;

/**
 * The input rows of a decode call as its kernels read them: the float rows and, per block of 32 values, their sum
 * (Q4_0 folds its -8 offset into one term per block with it). One instance per calling thread, grown to the largest
 * input seen and reused: decode prepares its input without garbage, once per fused projection.
 */
final class DecodeInput {
    static final int BLOCK = 32;
    private static final ThreadLocal<DecodeInput> REUSED = ThreadLocal.withInitial(() -> new DecodeInput(0));

    /** Per block, Σ x in float, left to right. */
    final float[] sums;
    /** The input of the current call (the caller's array). */
    float[] x;

    private DecodeInput(int blocks) {
        sums = new float[blocks];
    }

    /**
     * Prepares x[0, n·cols) (cols a multiple of 32) in this thread's instance, which the caller may read (and hand to
     * other threads) until its next call.
     */
    static DecodeInput of(float[] x, int n, int cols) {
        var a = REUSED.get();
        int blocks = n * cols / BLOCK;
        if (a.sums.length < blocks) REUSED.set(a = new DecodeInput(blocks));
        a.x = x;
        for (int b = 0; b < blocks; b++) {
            float sum = 0f;
            for (int i = 0; i < BLOCK; i++) sum += x[b * BLOCK + i];
            a.sums[b] = sum;
        }
        return a;
    }

    /** A weight format with a decode kernel against this prepared input. */
    sealed interface Kernel permits Q8_0Tensor, Q4_0Tensor {
        /** Σ over {@code blocks} weight blocks from {@code first} against input blocks from {@code xBlock}. */
        float decodeDot(long first, DecodeInput a, int xBlock, int blocks);
    }
}
