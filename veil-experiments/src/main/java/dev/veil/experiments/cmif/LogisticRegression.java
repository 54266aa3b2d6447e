package dev.veil.experiments.cmif;

import dev.veil.engine.Parallel;

/**
 * Binary logistic regression with an L2 penalty, fitted by Newton's method (iteratively reweighted least
 * squares): deterministic, no learning rate to tune. Features are standardized with the training set's mean
 * and deviation. Small dense problems only (d in the hundreds).
 */
public final class LogisticRegression {
    private final double[] mean, scale, weights; // weights[d] is the bias

    private LogisticRegression(double[] mean, double[] scale, double[] weights) {
        this.mean = mean;
        this.scale = scale;
        this.weights = weights;
    }

    /** Fits x (n rows of d features) to labels y (0 or 1) with penalty lambda · |w|² / 2 (bias not penalized). */
    public static LogisticRegression fit(float[][] x, int[] y, double lambda) {
        int n = x.length, d = x[0].length;
        double[] mean = new double[d], scale = new double[d];
        for (float[] row : x) for (int j = 0; j < d; j++) mean[j] += row[j] / (double) n;
        for (float[] row : x) for (int j = 0; j < d; j++) scale[j] += Math.pow(row[j] - mean[j], 2) / n;
        for (int j = 0; j < d; j++) scale[j] = scale[j] > 1e-12 ? 1 / Math.sqrt(scale[j]) : 0;
        double[][] z = new double[n][d + 1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) z[i][j] = (x[i][j] - mean[j]) * scale[j];
            z[i][d] = 1;
        }
        double[] w = new double[d + 1];
        for (int iter = 0; iter < 25; iter++) {
            double[] grad = new double[d + 1];
            double[][] hess = new double[d + 1][d + 1];
            accumulate(z, y, w, grad, hess);
            for (int j = 0; j <= d; j++) {
                grad[j] /= n;
                for (int k = 0; k <= j; k++) hess[j][k] = hess[k][j] = hess[j][k] / n;
                if (j < d) {
                    grad[j] += lambda * w[j];
                    hess[j][j] += lambda;
                }
            }
            double[] step = Cholesky.solve(hess, grad);
            double size = 0;
            for (int j = 0; j <= d; j++) {
                w[j] -= step[j];
                size = Math.max(size, Math.abs(step[j]));
            }
            if (size < 1e-7) break;
        }
        return new LogisticRegression(mean, scale, w);
    }

    /** Gradient and lower triangle of the Hessian of the summed log loss, in parallel over row blocks. */
    private static void accumulate(double[][] z, int[] y, double[] w, double[] grad, double[][] hess) {
        int n = z.length, d1 = w.length, blocks = Math.max(1, Math.min(n / 2048, Parallel.threads() * 4));
        double[][] g = new double[blocks][d1];
        double[][][] h = new double[blocks][d1][d1];
        Parallel.forEach(blocks, b -> {
            for (int i = (int) ((long) n * b / blocks); i < (long) n * (b + 1) / blocks; i++) {
                double[] zi = z[i];
                double p = sigmoid(dot(w, zi)), s = p * (1 - p), r = p - y[i];
                for (int j = 0; j < d1; j++) {
                    g[b][j] += r * zi[j];
                    double sj = s * zi[j];
                    double[] hj = h[b][j];
                    for (int k = 0; k <= j; k++) hj[k] += sj * zi[k];
                }
            }
        });
        for (int b = 0; b < blocks; b++) {
            for (int j = 0; j < d1; j++) {
                grad[j] += g[b][j];
                for (int k = 0; k <= j; k++) hess[j][k] += h[b][j][k];
            }
        }
    }

    /** P(label 1 | features). */
    public double probability(float[] features) {
        int d = mean.length;
        double s = weights[d];
        for (int j = 0; j < d; j++) s += weights[j] * (features[j] - mean[j]) * scale[j];
        return sigmoid(s);
    }

    public int predict(float[] features) {
        return probability(features) >= 0.5 ? 1 : 0;
    }

    /** Share of rows predicted right. */
    public double accuracy(float[][] x, int[] y) {
        int right = 0;
        for (int i = 0; i < x.length; i++) if (predict(x[i]) == y[i]) right++;
        return (double) right / x.length;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double sigmoid(double v) {
        return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    }

    /** Solves A x = b for a symmetric positive definite A. */
    static final class Cholesky {
        private Cholesky() {}

        static double[] solve(double[][] a, double[] b) {
            int n = b.length;
            double[][] l = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    double s = a[i][j];
                    for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                    if (i == j) {
                        if (s <= 0) throw new ArithmeticException("matrix is not positive definite");
                        l[i][i] = Math.sqrt(s);
                    } else {
                        l[i][j] = s / l[j][j];
                    }
                }
            }
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                double s = b[i];
                for (int k = 0; k < i; k++) s -= l[i][k] * y[k];
                y[i] = s / l[i][i];
            }
            double[] x = new double[n];
            for (int i = n - 1; i >= 0; i--) {
                double s = y[i];
                for (int k = i + 1; k < n; k++) s -= l[k][i] * x[k];
                x[i] = s / l[i][i];
            }
            return x;
        }
    }
}
