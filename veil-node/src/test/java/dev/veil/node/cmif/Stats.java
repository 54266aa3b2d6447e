package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Goodness of fit for the statistical tests: Pearson's χ² at a false-alarm rate of about 1e-6. */
final class Stats {
    private Stats() {}

    /**
     * Asserts that {@code counts} (over outcomes) fit the exact probabilities {@code p}. Outcomes expected fewer
     * than 5 times are pooled into one bin; an outcome of probability 0 must never occur.
     */
    static void assertFits(String what, long[] counts, double[] p) {
        long n = 0;
        for (long c : counts) n += c;
        double chi2 = 0, pooledObs = 0, pooledExp = 0;
        int bins = 0;
        for (int i = 0; i < p.length; i++) {
            double e = n * p[i];
            if (p[i] == 0) assertTrue(counts[i] == 0, what + ": outcome " + i + " of probability 0 occurred");
            if (e >= 5) {
                chi2 += (counts[i] - e) * (counts[i] - e) / e;
                bins++;
            } else {
                pooledObs += counts[i];
                pooledExp += e;
            }
        }
        if (pooledExp > 0) {
            chi2 += (pooledObs - pooledExp) * (pooledObs - pooledExp) / Math.max(pooledExp, 1);
            bins++;
        }
        int dof = Math.max(1, bins - 1);
        double critical = criticalChi2(dof, 4.75);
        assertTrue(chi2 < critical, String.format("%s: χ² %.1f over %d dof exceeds %.1f", what, chi2, dof, critical));
    }

    /** Wilson–Hilferty: the χ² quantile at standard-normal quantile z. */
    static double criticalChi2(int dof, double z) {
        double a = 2.0 / (9 * dof);
        return dof * Math.pow(1 - a + z * Math.sqrt(a), 3);
    }
}
