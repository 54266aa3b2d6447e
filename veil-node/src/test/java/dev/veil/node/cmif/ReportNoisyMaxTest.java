package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CMIF's Report Noisy Max over the real stories260K embedding table. */
class ReportNoisyMaxTest {
    @TempDir Path cache;

    private ReportNoisyMax rnm(double epsilon) {
        var space = Fixtures.stories();
        var params = SanitizerParams.defaults(epsilon);
        return new ReportNoisyMax(space, Neighbors.of(space, params.k(), cache),
                SensitiveSet.leastFrequent(space, Fixtures.counts(), params.sensitiveShare()), params);
    }

    @Test
    void outputFrequenciesMatchTheExactDistribution() {
        // Small integer scores, where the exact distribution is quick to sum: checks the argmax and tie rule.
        long[] q = {0, 3, 5, 5, 8, 2};
        double b = 4.0;
        var random = ExactRandom.seeded(11);
        long[] counts = new long[q.length];
        for (int i = 0; i < 200_000; i++) counts[ReportNoisyMax.argmax(q, 0, q.length, 4, 1, random)]++;
        Stats.assertFits("RNM on small scores", counts, DiscreteLaplace.argmaxProbabilities(q, b));

        // The real mechanism: a token's 20 candidates at ε = 2.
        var rnm = rnm(2.0);
        int x = Fixtures.model().tokenizer().encode("friend")[0];
        int k = rnm.neighbors().k();
        long[] scores = new long[k];
        for (int j = 0; j < k; j++) scores[j] = rnm.score(x, j);
        double scale = (double) rnm.scaleNumerator() / ReportNoisyMax.scaleDenominator();
        long[] real = new long[k];
        int[] candidates = rnm.neighbors().candidates(x);
        for (int i = 0; i < 60_000; i++) {
            int y = rnm.choose(x, random);
            for (int j = 0; j < k; j++) if (candidates[j] == y) real[j]++;
        }
        Stats.assertFits("RNM on '▁friend' at ε 2", real, DiscreteLaplace.argmaxProbabilities(scores, scale));
    }

    @Test
    void privacyRatioIsBoundedByEpsilon() {
        double epsilon = 1.0;
        var rnm = rnm(epsilon);
        int x = Fixtures.model().tokenizer().encode("mom")[0], k = rnm.neighbors().k();
        long grid = ReportNoisyMax.GRID;
        // A neighbouring input at full sensitivity: the favourite loses Δ, every other candidate gains Δ.
        long[] q = new long[k], q2 = new long[k];
        for (int j = 0; j < k; j++) {
            q[j] = rnm.score(x, j);
            q2[j] = j == 0 ? q[j] - grid : q[j] + grid;
        }
        double scale = (double) rnm.scaleNumerator() / ReportNoisyMax.scaleDenominator();
        double[] p = DiscreteLaplace.argmaxProbabilities(q, scale), p2 = DiscreteLaplace.argmaxProbabilities(q2, scale);
        double worst = 0;
        for (int j = 0; j < k; j++) worst = Math.max(worst, Math.max(p[j] / p2[j], p2[j] / p[j]));
        assertTrue(worst <= Math.exp(epsilon), "exact privacy ratio " + worst + " exceeds e^ε");
        assertTrue(worst > Math.exp(epsilon / 4), "the neighbour should be far enough to test something: " + worst);

        // Empirically: the favourite's frequencies under both inputs, within sampling error of the bound.
        var random = ExactRandom.seeded(5);
        int n = 40_000, wins = 0, wins2 = 0;
        for (int i = 0; i < n; i++) {
            if (ReportNoisyMax.argmax(q, 0, k, rnm.scaleNumerator(), ReportNoisyMax.scaleDenominator(), random) == 0) wins++;
            if (ReportNoisyMax.argmax(q2, 0, k, rnm.scaleNumerator(), ReportNoisyMax.scaleDenominator(), random) == 0) wins2++;
        }
        double ratio = (double) wins / wins2, sigma = ratio * Math.sqrt(1.0 / wins + 1.0 / wins2);
        assertTrue(ratio <= Math.exp(epsilon) + 5 * sigma, "empirical privacy ratio " + ratio);
        assertEquals(p[0] / p2[0], ratio, 5 * sigma, "empirical ratio against the exact one");
    }

    @Test
    void candidatesAreTheNearestTokensWithNormalizedScores() {
        var space = Fixtures.stories();
        var neighbors = Neighbors.of(space, 20, cache);
        float[] unit = space.unitRows();
        int dim = space.dim();
        for (int x = 3; x < space.size(); x += 37) {
            assertEquals(x, neighbors.candidate(x, 0), "a token is its own nearest candidate");
            assertEquals(1f, neighbors.score(x, 0));
            // Min-max normalized: the least similar scores 0, unless all are equally similar (parallel rows).
            assertTrue(neighbors.score(x, 19) == 0f || neighbors.score(x, 1) == 1f);
            // Brute force: no eligible token outside the list is closer than the last one in it.
            double last = cosine(unit, x, neighbors.candidate(x, 19), dim);
            var in = new java.util.HashSet<Integer>();
            for (int j = 0; j < 20; j++) {
                in.add(neighbors.candidate(x, j));
                if (j > 0) assertTrue(neighbors.score(x, j) <= neighbors.score(x, j - 1));
            }
            for (int y = 0; y < space.size(); y++) {
                if (!in.contains(y) && space.eligible(y)) assertTrue(cosine(unit, x, y, dim) <= last + 1e-6);
            }
        }
        // The cache gives back the same lists.
        var again = Neighbors.of(space, 20, cache);
        for (int x = 0; x < space.size(); x++) assertEquals(neighbors.candidate(x, 7), again.candidate(x, 7));
    }

    private static double cosine(float[] unit, int a, int b, int dim) {
        double s = 0;
        for (int i = 0; i < dim; i++) s += unit[a * dim + i] * unit[b * dim + i];
        return s;
    }
}
