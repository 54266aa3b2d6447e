package dev.veil.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.engine.ring.Ring;
import dev.veil.protocol.Rows;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Property tests: both projections remove every mask in rowspace(Mpub) and keep d − m dimensions. */
class ProjectionsTest {
    @Test
    void complementRemovesAnyMaskInTheRowSpace() {
        var random = new SplittableRandom(11);
        for (int trial = 0; trial < 20; trial++) {
            int d = 2 + random.nextInt(40), m = 1 + random.nextInt(d - 1);
            float[] base = gaussian(random, m * d), x = gaussian(random, d), coeff = gaussian(random, m);
            float[] masked = x.clone();
            for (int j = 0; j < m; j++) for (int i = 0; i < d; i++) masked[i] += 50 * coeff[j] * base[j * d + i];
            var p = Complement.of(new Rows.Floats(m, d, base));
            assertEquals(d - m, p.dimension());
            assertArrayEquals(p.project(x), p.project(masked), 1e-3f);
            assertArrayEquals(p.project(p.project(x)), p.project(x), 1e-5f); // idempotent
        }
    }

    @Test
    void ringKernelRemovesAnyMaskOverTheRing() {
        var random = new SplittableRandom(12);
        for (Ring ring : Ring.values()) {
            for (int trial = 0; trial < 20; trial++) {
                int d = 2 + random.nextInt(40), m = 1 + random.nextInt(d - 1);
                long[] base = new long[m * d], x = new long[d], masked = new long[d];
                for (int i = 0; i < base.length; i++) base[i] = ring.wrap(random.nextLong());
                // A first row of even entries forces a non-unit pivot, which the reduction must handle.
                if (trial % 4 == 0) for (int i = 0; i < d; i++) base[i] = ring.wrap(base[i] << 3);
                for (int i = 0; i < d; i++) x[i] = random.nextInt(-1000, 1000);
                long[] pvt = new long[m];
                for (int j = 0; j < m; j++) pvt[j] = ring.wrap(random.nextLong());
                for (int i = 0; i < d; i++) {
                    long s = x[i];
                    for (int j = 0; j < m; j++) s += pvt[j] * base[j * d + i];
                    masked[i] = ring.wrap(s);
                }
                var k = RingKernel.of(new Rows.RingElements(ring, m, d, base));
                assertEquals(d - m, k.dimension(), ring + " d " + d + " m " + m);
                assertArrayEquals(k.project(x), k.project(masked), ring + " d " + d + " m " + m);
            }
        }
    }

    @Test
    void inverseOfOddNumbers() {
        var random = new SplittableRandom(13);
        for (int i = 0; i < 1000; i++) {
            long a = random.nextLong() | 1;
            assertEquals(1L, a * RingKernel.inverseOdd(a));
        }
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) random.nextGaussian();
        return a;
    }
}
