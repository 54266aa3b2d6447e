package dev.veil.engine.tensor;

import dev.veil.engine.Parallel;
import java.util.function.IntConsumer;

/**
 * A decode call (few input rows, one dot product per output): its input rows as the kernels read them, the float rows
 * and, per block of 32 values, their sum (Q4_0 folds its -8 offset into one term per block with it), and the call
 * itself, with the bodies its parallel pass runs. One instance per calling thread, grown to the largest input seen and
 * reused, so a decode call allocates nothing.
 */
final class DecodeInput {
    static final int BLOCK = 32;
    private static final ThreadLocal<DecodeInput> REUSED = ThreadLocal.withInitial(() -> new DecodeInput(0));

    /** Per block, Σ x in float, left to right. */
    final float[] sums;
    /** The input of the current call (the caller's array). */
    float[] x;

    /** The current call: its matrix (or parts stacked by rows), the input's shape, and where the outputs go. */
    private Kernel kernel;
    private FloatTensor tensor;
    private FloatTensor[] parts;
    private int[] partRows;
    private int n, cols, blocks;
    private float[] out;
    private int outStride, outOffset;

    /**
     * The bodies of the three kinds of call, each its own class, as the lambdas they replace were: with one body for
     * all three, the kernel call site's profile mixed them and decode ran at 0.91x (1 thread, 1B shape, Q4_0).
     */
    private final IntConsumer oneKernel = new OneKernel(), fusedKernels = new FusedKernels(), dots = new Dots();

    private DecodeInput(int blocks) {
        sums = new float[blocks];
    }

    /**
     * Prepares x[0, n·cols) (cols a multiple of 32) in this thread's instance, which the caller may read (and hand to
     * other threads) until its next call.
     */
    static DecodeInput of(float[] x, int n, int cols) {
        var a = reused(n * cols / BLOCK);
        a.x = x;
        for (int b = 0, blocks = n * cols / BLOCK; b < blocks; b++) {
            float sum = 0f;
            for (int i = 0; i < BLOCK; i++) sum += x[b * BLOCK + i];
            a.sums[b] = sum;
        }
        return a;
    }

    private static DecodeInput reused(int blocks) {
        var a = REUSED.get();
        if (a.sums.length < blocks) REUSED.set(a = new DecodeInput(blocks));
        return a;
    }

    /** out[r·outStride + outOffset + j] = W_j · x_r by the format's {@link Kernel}, in one parallel pass over W. */
    static void matmul(Kernel w, float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        var a = of(x, n, cols);
        a.kernel = w;
        a.run(a.oneKernel, rows, n, cols, out, outStride, outOffset);
    }

    /** The same by {@link FloatTensor#dot}, for formats without a decode kernel. */
    static void matmulByDot(FloatTensor w, float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        var a = reused(0);
        a.x = x;
        a.tensor = w;
        a.run(a.dots, rows, n, cols, out, outStride, outOffset);
    }

    /** Parts stacked by rows (each with a {@link Kernel}), all outputs in one pass: see {@link FloatTensor#matmulFused}. */
    static void matmulFused(FloatTensor[] parts, int[] partRows, int total, float[] x, int n, int cols, float[] out, int outStride) {
        var a = of(x, n, cols);
        a.parts = parts;
        a.partRows = partRows;
        a.run(a.fusedKernels, total, n, cols, out, outStride, 0);
    }

    private void run(IntConsumer body, int rows, int n, int cols, float[] out, int outStride, int outOffset) {
        this.n = n;
        this.cols = cols;
        this.blocks = cols / BLOCK;
        this.out = out;
        this.outStride = outStride;
        this.outOffset = outOffset;
        try {
            Parallel.forEach(rows, body);
        } finally {  // hold no caller's arrays or matrices between calls
            kernel = null;
            tensor = null;
            parts = null;
            this.out = null;
            x = null;
        }
    }

    /** Output row j of the call's matrix by its kernel, for every input row. */
    private final class OneKernel implements IntConsumer {
        @Override
        public void accept(int j) {
            for (int r = 0; r < n; r++) {
                out[r * outStride + outOffset + j] = kernel.decodeDot((long) j * blocks, DecodeInput.this, r * blocks, blocks);
            }
        }
    }

    /** Output row j of the stacked parts, each by its kernel, for every input row. */
    private final class FusedKernels implements IntConsumer {
        @Override
        public void accept(int j) {
            int part = 0, row = j;
            while (row >= partRows[part]) row -= partRows[part++];
            var w = (Kernel) parts[part];
            for (int r = 0; r < n; r++) out[r * outStride + j] = w.decodeDot((long) row * blocks, DecodeInput.this, r * blocks, blocks);
        }
    }

    /** Output row j of the call's matrix by {@link FloatTensor#dot}, for every input row. */
    private final class Dots implements IntConsumer {
        @Override
        public void accept(int j) {
            for (int r = 0; r < n; r++) out[r * outStride + outOffset + j] = tensor.dot((long) j * cols, x, r * cols, cols);
        }
    }

    /** A weight format with a decode kernel against this prepared input. */
    sealed interface Kernel permits Q8_0Tensor, Q4_0Tensor {
        /** Σ over {@code blocks} weight blocks from {@code first} against input blocks from {@code xBlock}. */
        float decodeDot(long first, DecodeInput a, int xBlock, int blocks);
    }
}
