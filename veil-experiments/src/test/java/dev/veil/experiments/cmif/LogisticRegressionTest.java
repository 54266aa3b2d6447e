package dev.veil.experiments.cmif;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LogisticRegressionTest {
    /** Data drawn from a known logistic model: the fit recovers its decision rule and reaches its accuracy. */
    @Test
    void recoversAKnownModel() {
        var random = new SplittableRandom(3);
        double[] w = {2.0, -1.0, 0.5, 0, 1.5};
        double bias = -0.3;
        int n = 20_000;
        float[][] x = new float[n][w.length];
        int[] y = new int[n];
        int bayesRight = 0;
        for (int i = 0; i < n; i++) {
            double s = bias;
            for (int j = 0; j < w.length; j++) {
                x[i][j] = (float) random.nextGaussian();
                s += w[j] * x[i][j];
            }
            double p = 1 / (1 + Math.exp(-s));
            y[i] = random.nextDouble() < p ? 1 : 0;
            if ((s >= 0 ? 1 : 0) == y[i]) bayesRight++;
        }
        var model = LogisticRegression.fit(x, y, 1e-6);
        assertEquals((double) bayesRight / n, model.accuracy(x, y), 0.01);
        // Probabilities agree with the true model's (features are standardized internally, so compare outputs).
        float[] probe = {0.5f, 0.2f, -1f, 3f, 0.1f};
        double s = bias;
        for (int j = 0; j < w.length; j++) s += w[j] * probe[j];
        assertEquals(1 / (1 + Math.exp(-s)), model.probability(probe), 0.03);
    }

    @Test
    void choleskySolvesASymmetricSystem() {
        double[][] a = {{4, 2, 0.4}, {2, 5, 1}, {0.4, 1, 3}};
        double[] x = {1, -2, 0.5}, b = new double[3];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) b[i] += a[i][j] * x[j];
        assertArrayEquals(x, LogisticRegression.Cholesky.solve(a, b), 1e-12);
    }

    @Test
    void constantFeaturesDoNotBreakTheFit() {
        float[][] x = {{1, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}};
        int[] y = {0, 0, 1, 0, 1, 1};
        var model = LogisticRegression.fit(x, y, 1e-3);
        assertTrue(model.probability(new float[] {1, 5}) > model.probability(new float[] {1, 0}));
    }
}
