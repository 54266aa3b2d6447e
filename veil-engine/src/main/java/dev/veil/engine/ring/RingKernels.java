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
        if (n == 1) {
            Parallel.forEach(rows, j -> out[outOffset + j] = ring.wrap(dot(a, j * cols, x, 0, cols)));
            return;
        }
        int panels = (rows + PANEL_ROWS - 1) / PANEL_ROWS; // tiled as in RingMatrix: panels of a × blocks of x
        Parallel.forEach(panels, p -> {
            int first = p * PANEL_ROWS, last = Math.min(rows, first + PANEL_ROWS);
            for (int r0 = 0; r0 < n; r0 += BLOCK_ROWS) {
                int r1 = Math.min(n, r0 + BLOCK_ROWS);
                for (int j = first; j < last; j++) {
                    int r = r0;
                    for (; r + 4 <= r1; r += 4) dot4(ring, a, j, cols, x, r, out, outStride, outOffset);
                    for (; r < r1; r++) out[r * outStride + outOffset + j] = ring.wrap(dot(a, j * cols, x, r * cols, cols));
                }
            }
        });
    }

    private static final int PANEL_ROWS = 16, BLOCK_ROWS = 16;

    private static void dot4(Ring ring, long[] a, int j, int cols, long[] x, int r, long[] out, int outStride, int outOffset) {
        var species = RingMatrix.L;
        int ao = j * cols, x0 = r * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        var a0 = LongVector.zero(species);
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int i = 0, upper = species.loopBound(cols);
        for (; i < upper; i += species.length()) {
            var w = LongVector.fromArray(species, a, ao + i);
            a0 = a0.add(w.mul(LongVector.fromArray(species, x, x0 + i)));
            a1 = a1.add(w.mul(LongVector.fromArray(species, x, x1 + i)));
            a2 = a2.add(w.mul(LongVector.fromArray(species, x, x2 + i)));
            a3 = a3.add(w.mul(LongVector.fromArray(species, x, x3 + i)));
        }
        long s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD),
                s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            long w = a[ao + i];
            s0 += x[x0 + i] * w;
            s1 += x[x1 + i] * w;
            s2 += x[x2 + i] * w;
            s3 += x[x3 + i] * w;
        }
        out[r * outStride + outOffset + j] = ring.wrap(s0);
        out[(r + 1) * outStride + outOffset + j] = ring.wrap(s1);
        out[(r + 2) * outStride + outOffset + j] = ring.wrap(s2);
        out[(r + 3) * outStride + outOffset + j] = ring.wrap(s3);
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
