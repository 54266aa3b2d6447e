package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The exact samplers against their exact distributions. */
class ExactRandomTest {
    private final ExactRandom random = ExactRandom.seeded(7);

    @Test
    void uniformIsUniform() {
        long[] counts = new long[7];
        for (int i = 0; i < 350_000; i++) counts[(int) random.uniform(7)]++;
        double[] p = new double[7];
        Arrays.fill(p, 1.0 / 7);
        Stats.assertFits("uniform(7)", counts, p);

        long bound = 3L << 61, high = 0; // a bound close to 2^63, where a biased reduction would show
        for (int i = 0; i < 300_000; i++) {
            long v = random.uniform(bound);
            assertTrue(v >= 0 && v < bound);
            if (v >= 1L << 62) high++;
        }
        Stats.assertFits("uniform(3·2^61) upper third", new long[] {300_000 - high, high}, new double[] {2 / 3.0, 1 / 3.0});
    }

    @Test
    void bernoulliExpIsExact() {
        long[][] gammas = {{0, 1}, {1, 3}, {1, 1}, {7, 3}, {5, 1}};
        for (long[] g : gammas) {
            int n = 200_000, ones = 0;
            for (int i = 0; i < n; i++) if (random.bernoulliExp(g[0], g[1])) ones++;
            double p = Math.exp(-(double) g[0] / g[1]);
            Stats.assertFits("Bernoulli(exp(-" + g[0] + "/" + g[1] + "))", new long[] {n - ones, ones}, new double[] {1 - p, p});
        }
    }

    @Test
    void discreteLaplaceMatchesItsMassFunction() {
        long num = 5, den = 2; // scale 2.5
        int range = 25, n = 300_000;
        long[] counts = new long[2 * range + 3]; // [-range, range], then the two tails
        for (int i = 0; i < n; i++) {
            long z = random.discreteLaplace(num, den);
            counts[z < -range ? 2 * range + 1 : z > range ? 2 * range + 2 : (int) z + range]++;
        }
        double[] p = new double[counts.length];
        for (int z = -range; z <= range; z++) p[z + range] = DiscreteLaplace.pmf(z, 2.5);
        p[2 * range + 1] = p[2 * range + 2] = DiscreteLaplace.cdf(-range - 1, 2.5);
        Stats.assertFits("discrete Laplace(2.5)", counts, p);
    }

    @Test
    void seededStreamsRepeatAndDiffer() {
        long a = ExactRandom.seeded(1).nextLong(), b = ExactRandom.seeded(1).nextLong();
        assertEquals(a, b);
        assertNotEquals(a, ExactRandom.seeded(2).nextLong());
        assertNotEquals(ExactRandom.create().nextLong(), ExactRandom.create().nextLong());
    }
}
