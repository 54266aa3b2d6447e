package dev.veil.engine.ring;

import dev.veil.engine.Parallel;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/** Products of full ring matrices (both operands arbitrary ring elements), as masking and restoring need. */
public final class RingKernels {
    private RingKernels() {}

    /**
     * out[r·outStride + outOffset + j] = wrap(Σ_k a[j·cols + k] · x[r·cols + k]) for j &lt; rows, r &lt; n: the
     * matrix {@code a} (rows × cols, row-major) applied to each of the n rows of x.
     */
    public static void matmul(Ring ring, long[] a, int rows, int cols, long[] x, int n, long[] out, int outStride, int outOffset) {
        if ((long) rows * cols > a.length || (long) n * cols > x.length || (long) (n - 1) * outStride + outOffset + rows > out.length) {
            throw new IllegalArgumentException("shapes do not fit: " + rows + "x" + cols + " times " + n + " rows");
        }
        Parallel.forEach(rows, j -> {
            for (int r = 0; r < n; r++) out[r * outStride + outOffset + j] = ring.wrap(dot(a, j * cols, x, r * cols, cols));
        });
    }

    /** Σ_k a[ao + k] · x[xo + k] for k &lt; n, wrapping in Z_2^64 (reduce with {@link Ring#wrap} for Z_2^32). */
    public static long dot(long[] a, int ao, long[] x, int xo, int n) {
        var acc = LongVector.zero(RingMatrix.L);
        int i = 0, upper = RingMatrix.L.loopBound(n);
        for (; i < upper; i += RingMatrix.L.length()) {
            acc = acc.add(LongVector.fromArray(RingMatrix.L, a, ao + i).mul(LongVector.fromArray(RingMatrix.L, x, xo + i)));
        }
        long sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += a[ao + i] * x[xo + i];
        return sum;
    }

    /** Plain scalar twin of {@link #matmul}. */
    public static void matmulScalar(Ring ring, long[] a, int rows, int cols, long[] x, int n, long[] out, int outStride, int outOffset) {
        for (int j = 0; j < rows; j++) {
            for (int r = 0; r < n; r++) {
                long sum = 0;
                for (int k = 0; k < cols; k++) sum += a[j * cols + k] * x[r * cols + k];
                out[r * outStride + outOffset + j] = ring.wrap(sum);
            }
        }
    }
}
