package dev.veil.node.cmif;

/**
 * Exact sampling from the exponential mechanism P[j] ∝ exp(-ε · cost_j / (2 · grid)) over integer costs, by
 * rejection: propose j uniformly, accept with probability exp(-ε (cost_j - min cost) / (2 · grid)) drawn exactly
 * ({@link ExactRandom#bernoulliExp}). Every output keeps a positive probability, with no floating point in the
 * loop; ε is taken as a rational rounded down.
 */
final class ExponentialMechanism {
    private ExponentialMechanism() {}

    /** An index j in [0, costs.length). */
    static int sample(int[] costs, int n, long grid, long epsilonNum, ExactRandom random) {
        int min = Integer.MAX_VALUE;
        for (int j = 0; j < n; j++) min = Math.min(min, costs[j]);
        long den = 2 * grid * SanitizerParams.EPSILON_DENOMINATOR;
        while (true) {
            int j = (int) random.uniform(n);
            if (random.bernoulliExp(Math.multiplyExact((long) costs[j] - min, epsilonNum), den)) return j;
        }
    }

    /** The exact probabilities of {@link #sample} (for tests and documentation). */
    static double[] probabilities(int[] costs, int n, long grid, long epsilonNum) {
        double[] p = new double[n];
        int min = Integer.MAX_VALUE;
        for (int j = 0; j < n; j++) min = Math.min(min, costs[j]);
        double sum = 0, rate = (double) epsilonNum / (2.0 * grid * SanitizerParams.EPSILON_DENOMINATOR);
        for (int j = 0; j < n; j++) sum += p[j] = Math.exp(-(costs[j] - min) * rate);
        for (int j = 0; j < n; j++) p[j] /= sum;
        return p;
    }
}
