package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** SanText+ and CusText+ over the real stories260K embedding table: output frequencies against exact probabilities. */
class ExponentialMechanismsTest {
    private final ExactRandom random = ExactRandom.seeded(3);

    @Test
    void sanTextPlusSamplesItsExactDistribution() {
        var space = Fixtures.stories();
        var params = new SanitizerParams(3.0, 20, 1.0, 1.0, 0.2);
        var sensitive = SensitiveSet.leastFrequent(space, Fixtures.counts(), params.sensitiveShare());
        var santext = new SanTextPlus(space, sensitive, params);
        int x = Fixtures.model().tokenizer().encode("big")[0];
        double[] p = santext.probabilities(x);
        int[] outputs = sensitive.ids();
        long[] counts = new long[outputs.length];
        int n = 60_000;
        for (int i = 0; i < n; i++) {
            int y = santext.sanitize(new int[] {x}, random).ids()[0];
            int j = Arrays.binarySearch(outputs, y);
            assertTrue(j >= 0, "SanText+ must output a sensitive token, got " + y);
            counts[j]++;
        }
        Stats.assertFits("SanText+ on '▁big' at ε 3", counts, p);

        // P[y|x] ∝ exp(-ε d(x, y) / 2): check the exact probabilities against the formula in doubles.
        float[] vx = space.vector(x);
        double[] w = new double[outputs.length];
        double sum = 0;
        for (int j = 0; j < outputs.length; j++) {
            double d2 = 0;
            for (int i = 0; i < space.dim(); i++) d2 += Math.pow(vx[i] - space.get(outputs[j], i), 2);
            sum += w[j] = Math.exp(-3.0 * Math.sqrt(d2) / 2);
        }
        for (int j = 0; j < outputs.length; j++) assertEquals(w[j] / sum, p[j], 2e-3 * p[j] + 1e-12);
    }

    @Test
    void cusTextPlusSamplesItsExactDistributionAndBoundsThePrivacyRatio() {
        var space = Fixtures.stories();
        double epsilon = 2.0;
        var custext = new CusTextPlus(space, Fixtures.counts(), new SanitizerParams(epsilon, 20, 0.3, 1.0, 0.2));
        int x = Fixtures.model().tokenizer().encode("happy")[0];
        int[] set = custext.outputSet(x);
        assertEquals(20, set.length);
        assertTrue(Arrays.stream(set).anyMatch(y -> y == x));
        double[] p = custext.probabilities(x);
        long[] counts = new long[set.length];
        for (int i = 0; i < 60_000; i++) {
            int y = custext.sanitize(new int[] {x}, random).ids()[0];
            int j = indexOf(set, y);
            assertTrue(j >= 0, "CusText+ must output a member of the token's set");
            counts[j]++;
        }
        Stats.assertFits("CusText+ on '▁happy' at ε 2", counts, p);

        // Every member shares the set, so any two members' output distributions are within e^ε.
        for (int other : set) {
            assertTrue(Arrays.equals(set, custext.outputSet(other)), "members share one output set");
            double[] q = custext.probabilities(other);
            for (int j = 0; j < set.length; j++) {
                assertTrue(p[j] / q[j] <= Math.exp(epsilon) * (1 + 1e-9), "privacy ratio " + p[j] / q[j]);
            }
        }
        // The sets partition the eligible vocabulary.
        int covered = 0;
        for (int t = 0; t < space.size(); t++) {
            if (!space.eligible(t)) continue;
            covered++;
            assertTrue(indexOf(custext.outputSet(t), t) >= 0);
        }
        assertEquals(space.size() - 3, covered);
    }

    @Test
    void cusTextPlusKeepsStopWords() {
        var custext = new CusTextPlus(Fixtures.stories(), Fixtures.counts(), SanitizerParams.defaults(0.5));
        var tok = Fixtures.model().tokenizer();
        int the = tok.encode("the")[0];
        assertTrue(custext.isStopWord(the));
        for (int i = 0; i < 200; i++) assertEquals(the, custext.sanitize(new int[] {the}, random).ids()[0]);
        assertEquals(0, custext.sanitize(new int[] {the}, random).mechanizedCount());
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }
}
