package dev.veil.engine.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.tensor.F32Tensor;
import dev.veil.engine.tensor.FloatTensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("vector")
class RingTest {
    @Test
    void vectorKernelsMatchScalarTwinsIncludingWrapAround() {
        var rnd = new SplittableRandom(7);
        for (Ring ring : Ring.values()) {
            for (int trial = 0; trial < 20; trial++) {
                int rows = 1 + rnd.nextInt(80), cols = 1 + rnd.nextInt(70), n = 1 + rnd.nextInt(40); // tiles, 4-row groups and tails
                float[] w = new float[rows * cols];
                for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
                RingMatrix m = RingMatrix.quantize(ring, cols, new FloatTensor[] {F32Tensor.of(w)}, new int[] {rows});
                long[] x = new long[n * cols];
                for (int i = 0; i < x.length; i++) x[i] = ring.element(rnd.nextLong()); // full-ring inputs wrap
                long[] a = new long[n * rows], b = new long[n * rows];
                m.multiply(ring, x, n, a);
                m.multiplyScalar(ring, x, n, b);
                assertArrayEquals(b, a);
                int batch = n + rnd.nextInt(7); // exercises the 4-row blocks and the remainder
                long[] xb = new long[batch * cols], c = new long[batch * rows], d = new long[batch * rows];
                for (int i = 0; i < xb.length; i++) xb[i] = ring.element(rnd.nextLong());
                m.multiplyBatch(ring, xb, batch, c);
                m.multiplyScalar(ring, xb, batch, d);
                assertArrayEquals(d, c);

                long[] r = new long[n * rows], t = new long[n * cols], u = new long[n * cols];
                for (int i = 0; i < r.length; i++) r[i] = ring.element(rnd.nextLong());
                m.multiplyTransposed(ring, r, n, t);
                m.multiplyTransposedScalar(ring, r, n, u);
                assertArrayEquals(u, t);
                // Freivalds' identity: (x·Wᵀ)·r = x·(Wᵀ·r) in the ring
                for (int i = 0; i < n; i++) {
                    long left = 0, right = 0;
                    for (int j = 0; j < rows; j++) left += a[i * rows + j] * r[j];
                    for (int k = 0; k < cols; k++) right += x[i * cols + k] * t[k];
                    assertEquals(ring.wrap(right), ring.wrap(left));
                }

                long[] full = new long[rows * cols];
                for (int i = 0; i < full.length; i++) full[i] = ring.element(rnd.nextLong());
                RingKernels.matmul(ring, full, rows, cols, x, n, a, rows, 0);
                RingKernels.matmulScalar(ring, full, rows, cols, x, n, b, rows, 0);
                assertArrayEquals(b, a);
            }
        }
    }

    @Test
    void quantizedProductApproximatesFloatProduct() {
        var rnd = new SplittableRandom(3);
        int rows = 30, cols = 64;
        float[] w = new float[rows * cols], x = new float[cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.1f;
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        var tensor = F32Tensor.of(w);
        float[] expected = new float[rows];
        tensor.matmul(x, 1, rows, cols, expected, rows, 0);
        for (Ring ring : Ring.values()) {
            var m = RingMatrix.quantize(ring, cols, new FloatTensor[] {tensor}, new int[] {rows});
            long[] q = new long[cols], acc = new long[rows];
            ring.quantize(x, cols, q);
            m.multiply(ring, q, 1, acc);
            float[] got = new float[rows];
            ring.dequantize(acc, 1, rows, m.rowScales(), got, 0);
            double tol = ring == Ring.Z64 ? 1e-3 : 0.1;
            for (int j = 0; j < rows; j++) assertEquals(expected[j], got[j], tol, ring + " row " + j);
        }
    }

    @Test
    void wrapGivesSignedRepresentatives() {
        assertEquals(-1L, Ring.Z32.wrap(0xFFFF_FFFFL));
        assertEquals(5L, Ring.Z32.wrap((1L << 32) + 5));
        assertEquals(Long.MIN_VALUE, Ring.Z64.wrap(Long.MIN_VALUE));
        assertEquals(Ring.Z32.quantize(1e9f), (1L << 15) - 1);
        assertTrue(Ring.Z64.quantize(-1.5f) == -(3L << 15));
    }
}
