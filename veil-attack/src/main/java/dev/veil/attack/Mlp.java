package dev.veil.attack;

import dev.veil.engine.Parallel;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A one-hidden-layer classifier (standardized input → ReLU → softmax over tokens), trained with Adam on
 * cross-entropy. Training is deterministic under its seed whatever the thread count: each mini-batch is cut
 * into a fixed number of shards whose gradients are summed in shard order (on one machine: the vector width
 * fixes the order of the sums in the dot products).
 */
public final class Mlp {
    /** @param hidden hidden units; @param epochs passes over the data; @param batch mini-batch size */
    public record Options(int hidden, int epochs, int batch, float learningRate, long seed) {
        public Options {
            if (hidden <= 0 || epochs <= 0 || batch <= 0 || !(learningRate > 0)) {
                throw new IllegalArgumentException("MLP needs positive hidden units, epochs, batch size and learning rate");
            }
        }

        public static Options defaults(long seed) {
            return new Options(256, 8, 128, 2e-3f, seed);
        }
    }

    private static final int SHARDS = 8;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final int in, hidden, classes;
    private final float[] mean, invStd;
    final float[] w1, b1, w2, b2; // w1 hidden × in, w2 classes × hidden

    private Mlp(int in, int hidden, int classes, float[] mean, float[] invStd, SplittableRandom random) {
        this.in = in;
        this.hidden = hidden;
        this.classes = classes;
        this.mean = mean;
        this.invStd = invStd;
        w1 = gaussian(hidden * in, Math.sqrt(2.0 / in), random);
        b1 = new float[hidden];
        w2 = gaussian(classes * hidden, Math.sqrt(1.0 / hidden), random);
        b2 = new float[classes];
    }

    /** Trains on rows x (count × in) with labels y in [0, classes). */
    public static Mlp train(float[] x, int[] y, int in, int classes, Options o) {
        int count = y.length;
        if (count == 0 || x.length != count * in) throw new IllegalArgumentException("training set of " + count + " rows does not match " + x.length + " values");
        float[] mean = new float[in], invStd = new float[in];
        double[] s = new double[in], ss = new double[in];
        for (int r = 0; r < count; r++) {
            for (int i = 0; i < in; i++) {
                double v = x[r * in + i];
                s[i] += v;
                ss[i] += v * v;
            }
        }
        for (int i = 0; i < in; i++) {
            double m = s[i] / count, var = Math.max(ss[i] / count - m * m, 0);
            mean[i] = (float) m;
            invStd[i] = (float) (1 / Math.max(Math.sqrt(var), 1e-6));
        }
        var random = new SplittableRandom(o.seed());
        var net = new Mlp(in, o.hidden(), classes, mean, invStd, random);
        net.fit(x, y, count, o, random);
        return net;
    }

    private void fit(float[] x, int[] y, int count, Options o, SplittableRandom random) {
        float[][] params = {w1, b1, w2, b2};
        float[][] m1 = new float[4][], m2 = new float[4][];
        float[][][] grads = new float[SHARDS][4][];
        for (int k = 0; k < 4; k++) {
            m1[k] = new float[params[k].length];
            m2[k] = new float[params[k].length];
            for (int sh = 0; sh < SHARDS; sh++) grads[sh][k] = new float[params[k].length];
        }
        int[] order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        int step = 0;
        for (int epoch = 0; epoch < o.epochs(); epoch++) {
            for (int i = count - 1; i > 0; i--) {
                int j = random.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int start = 0; start < count; start += o.batch()) {
                int end = Math.min(count, start + o.batch()), size = end - start, from = start;
                Parallel.forEach(SHARDS, sh -> {
                    for (float[] g : grads[sh]) java.util.Arrays.fill(g, 0f);
                    backprop(x, y, order, from + size * sh / SHARDS, from + size * (sh + 1) / SHARDS, grads[sh]);
                });
                step++;
                float lr = o.learningRate() * (float) (0.5 * (1 + Math.cos(Math.PI * epoch / o.epochs())));
                double c1 = 1 - Math.pow(0.9, step), c2 = 1 - Math.pow(0.999, step);
                for (int k = 0; k < 4; k++) {
                    float[] w = params[k], mk = m1[k], vk = m2[k];
                    for (int i = 0; i < w.length; i++) {
                        float g = 0f;
                        for (int sh = 0; sh < SHARDS; sh++) g += grads[sh][k][i];
                        g /= size;
                        mk[i] = 0.9f * mk[i] + 0.1f * g;
                        vk[i] = 0.999f * vk[i] + 0.001f * g * g;
                        w[i] -= (float) (lr * (mk[i] / c1) / (Math.sqrt(vk[i] / c2) + 1e-8));
                    }
                }
            }
        }
    }

    /**
     * Adds the cross-entropy gradients of examples order[a, b) to g = {w1, b1, w2, b2}. Loops run class by class
     * over all the shard's examples, so each row of w2 and of its gradient is read once per shard, not once per
     * example.
     */
    private void backprop(float[] x, int[] y, int[] order, int a, int b, float[][] g) {
        int n = b - a;
        float[] xs = new float[n * in], z = new float[n * hidden], p = new float[n * classes], dh = new float[n * hidden];
        for (int r = 0; r < n; r++) {
            standardize(x, order[a + r] * in, xs, r * in);
            hidden(xs, r * in, z, r * hidden);
        }
        for (int c = 0; c < classes; c++) {
            for (int r = 0; r < n; r++) p[r * classes + c] = b2[c] + dot(w2, c * hidden, z, r * hidden, hidden);
        }
        for (int r = 0; r < n; r++) {
            softmax(p, r * classes, classes);
            p[r * classes + y[order[a + r]]] -= 1f;
        }
        for (int c = 0; c < classes; c++) {
            for (int r = 0; r < n; r++) {
                float d = p[r * classes + c];
                g[3][c] += d;
                axpy(d, z, r * hidden, g[2], c * hidden, hidden);
                axpy(d, w2, c * hidden, dh, r * hidden, hidden);
            }
        }
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < hidden; h++) {
                if (z[r * hidden + h] <= 0f) continue;
                float d = dh[r * hidden + h];
                g[1][h] += d;
                axpy(d, xs, r * in, g[0], h * in, in);
            }
        }
    }

    /** y[yOff, yOff + n) += a · x[xOff, xOff + n) */
    private static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.broadcast(S, a), FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    /** x[xOff, xOff + n) · y[yOff, yOff + n) */
    private static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        var acc = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            acc = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += x[xOff + i] * y[yOff + i];
        return sum;
    }

    /** Most likely class of each row of x (n × in). */
    public int[] predict(float[] x, int n) {
        int[] out = new int[n];
        Parallel.forEach(n, r -> {
            float[] xs = new float[in], z = new float[hidden];
            standardize(x, r * in, xs, 0);
            hidden(xs, 0, z, 0);
            int best = 0;
            float bestLogit = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                float logit = b2[c] + dot(w2, c * hidden, z, 0, hidden);
                if (logit > bestLogit) {
                    bestLogit = logit;
                    best = c;
                }
            }
            out[r] = best;
        });
        return out;
    }

    public int inputs() {
        return in;
    }

    private void standardize(float[] x, int off, float[] xs, int xsOff) {
        for (int i = 0; i < in; i++) xs[xsOff + i] = (x[off + i] - mean[i]) * invStd[i];
    }

    private void hidden(float[] xs, int xsOff, float[] z, int zOff) {
        for (int h = 0; h < hidden; h++) z[zOff + h] = Math.max(b1[h] + dot(w1, h * in, xs, xsOff, in), 0f);
    }

    private static void softmax(float[] p, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, p[off + i]);
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            p[off + i] = (float) Math.exp(p[off + i] - max);
            sum += p[off + i];
        }
        for (int i = 0; i < n; i++) p[off + i] /= sum;
    }

    private static float[] gaussian(int n, double sd, SplittableRandom random) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (random.nextGaussian() * sd);
        return a;
    }
}
