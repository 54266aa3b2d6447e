package dev.veil.attack;

import dev.veil.engine.ring.Ring;
import dev.veil.protocol.Rows;

/**
 * The null-space attack over a ring. Exact ReMO masks q(E) with Mpvt·Mpub over Z_2^k; the server finds
 * vectors K with Mpub·K ≡ 0 (mod 2^k) by unimodular column operations on Mpub, so that Ê·K ≡ q(E)·K:
 * d_in − m exact linear functions of the quantized input, whatever the mask. The input quantization is
 * deterministic, so a candidate token's q(x)·K equals the observation's exactly.
 */
public final class RingKernel {
    private final Ring ring;
    private final int d, r;
    private final long[] kernel; // d × r, column j is a kernel vector

    private RingKernel(Ring ring, int d, int r, long[] kernel) {
        this.ring = ring;
        this.d = d;
        this.r = r;
        this.kernel = kernel;
    }

    /**
     * Column-reduces Mpub (m × d) to lower-echelon form Mpub·U = [L | 0] with U unimodular over Z_2^k: each row's
     * pivot is an entry of least 2-adic valuation, which divides every other entry of its row. The columns of U
     * past the pivots are the kernel.
     */
    public static RingKernel of(Rows.RingElements base) {
        Ring ring = base.ring();
        int m = base.rows(), d = base.cols();
        long[] a = java.util.Arrays.copyOf(base.data(), m * d), u = new long[d * d];
        for (int i = 0; i < d; i++) u[i * d + i] = 1;
        int pivots = 0;
        for (int i = 0; i < m && pivots < d; i++) {
            int best = -1, bestZeros = Integer.MAX_VALUE;
            for (int j = pivots; j < d; j++) {
                long v = ring.wrap(a[i * d + j]);
                if (v != 0 && Long.numberOfTrailingZeros(v) < bestZeros) {
                    bestZeros = Long.numberOfTrailingZeros(v);
                    best = j;
                }
            }
            if (best < 0) continue; // row already zero on the free columns
            swapColumns(a, m, d, best, pivots);
            swapColumns(u, d, d, best, pivots);
            long inv = inverseOdd(ring.wrap(a[i * d + pivots]) >> bestZeros);
            for (int j = pivots + 1; j < d; j++) {
                long v = ring.wrap(a[i * d + j]);
                if (v == 0) continue;
                long t = ring.wrap((v >> bestZeros) * inv); // t · pivot ≡ v
                subtractColumn(ring, a, m, d, j, pivots, t);
                subtractColumn(ring, u, d, d, j, pivots, t);
            }
            pivots++;
        }
        int r = d - pivots;
        long[] k = new long[d * r];
        for (int i = 0; i < d; i++) for (int j = 0; j < r; j++) k[i * r + j] = u[i * d + pivots + j];
        return new RingKernel(ring, d, r, k);
    }

    public int dimension() {
        return r;
    }

    /** Ring rows (n × d) times K, each value as a fraction of the ring in [−1/2, 1/2). */
    public float[] project(long[] rows) {
        int n = rows.length / d;
        float[] out = new float[n * r];
        double scale = Math.scalb(1.0, -ring.bits);
        for (int row = 0; row < n; row++) {
            for (int j = 0; j < r; j++) {
                long s = 0;
                for (int i = 0; i < d; i++) s += rows[row * d + i] * kernel[i * r + j];
                out[row * r + j] = (float) (ring.wrap(s) * scale);
            }
        }
        return out;
    }

    /** Activations (n × d), quantized as the trusted node quantizes them, then projected. */
    public float[] projectActivations(float[] x) {
        long[] q = new long[x.length];
        ring.quantize(x, x.length, q);
        return project(q);
    }

    /** The inverse of an odd number modulo 2^64 (Newton's iteration doubles the correct bits each step). */
    static long inverseOdd(long a) {
        long x = a; // correct to 3 bits for odd a
        for (int i = 0; i < 5; i++) x *= 2 - a * x;
        return x;
    }

    private static void swapColumns(long[] a, int rows, int cols, int x, int y) {
        if (x == y) return;
        for (int i = 0; i < rows; i++) {
            long t = a[i * cols + x];
            a[i * cols + x] = a[i * cols + y];
            a[i * cols + y] = t;
        }
    }

    /** column j −= t · column p */
    private static void subtractColumn(Ring ring, long[] a, int rows, int cols, int j, int p, long t) {
        for (int i = 0; i < rows; i++) a[i * cols + j] = ring.wrap(a[i * cols + j] - t * a[i * cols + p]);
    }
}
