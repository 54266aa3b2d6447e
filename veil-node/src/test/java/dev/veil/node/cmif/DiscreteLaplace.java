package dev.veil.node.cmif;

/** Closed forms of the discrete Laplace distribution P(z) ∝ exp(-|z|/b) on the integers (test oracle). */
final class DiscreteLaplace {
    private DiscreteLaplace() {}

    static double pmf(long z, double b) {
        double r = Math.exp(-1 / b);
        return (1 - r) / (1 + r) * Math.pow(r, Math.abs(z));
    }

    /** P(Z ≤ z). */
    static double cdf(long z, double b) {
        double r = Math.exp(-1 / b);
        return z >= 0 ? 1 - Math.pow(r, z + 1) / (1 + r) : Math.pow(r, -z) / (1 + r);
    }

    /**
     * Exact output distribution of Report Noisy Max with discrete Laplace noise of scale b and ties to the lower
     * index: P(j) = Σ_v P(q_j + Z = v) · Π_{i<j} P(q_i + Z &lt; v) · Π_{i>j} P(q_i + Z ≤ v).
     */
    static double[] argmaxProbabilities(long[] q, double b) {
        int k = q.length;
        long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
        for (long v : q) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        long span = (long) Math.ceil(30 * b) + 1; // mass beyond is below e^-30
        // r^d for every offset d = v - q_i that occurs, so the sum needs no transcendental calls.
        int maxD = (int) (span + hi - lo + 1);
        double r = Math.exp(-1 / b), c = (1 - r) / (1 + r);
        double[] pow = new double[maxD + 2];
        pow[0] = 1;
        for (int d = 1; d < pow.length; d++) pow[d] = pow[d - 1] * r;
        double[] p = new double[k], prefix = new double[k + 1], suffix = new double[k + 1];
        for (long v = lo - span; v <= hi + span; v++) {
            prefix[0] = 1;
            for (int i = 0; i < k; i++) prefix[i + 1] = prefix[i] * cdf(v - q[i] - 1, pow, r);
            suffix[k] = 1;
            for (int i = k - 1; i >= 0; i--) suffix[i] = suffix[i + 1] * cdf(v - q[i], pow, r);
            for (int j = 0; j < k; j++) p[j] += c * pow[(int) Math.abs(v - q[j])] * prefix[j] * suffix[j + 1];
        }
        return p;
    }

    private static double cdf(long z, double[] pow, double r) {
        return z >= 0 ? 1 - pow[(int) z + 1] / (1 + r) : pow[(int) -z] / (1 + r);
    }
}
