package dev.veil.attack;

import dev.veil.engine.Parallel;
import java.util.SplittableRandom;

/**
 * A one-hidden-layer classifier (standardized input → ReLU → softmax over tokens), trained with Adam on
 * cross-entropy. Training is deterministic under its seed whatever the thread count: each mini-batch is cut
 * into a fixed number of shards whose gradients are summed in shard order.
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
                    int a = from + size * sh / SHARDS, b = from + size * (sh + 1) / SHARDS;
                    float[] z = new float[hidden], p = new float[classes], dh = new float[hidden], xs = new float[in];
                    for (int r = a; r < b; r++) backprop(x, order[r], y[order[r]], grads[sh], z, p, dh, xs);
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

    /** Adds the cross-entropy gradient of one example to g = {w1, b1, w2, b2}. */
    private void backprop(float[] x, int row, int label, float[][] g, float[] z, float[] p, float[] dh, float[] xs) {
        standardize(x, row * in, xs);
        hidden(xs, z);
        logits(z, p);
        softmax(p);
        p[label] -= 1f;
        java.util.Arrays.fill(dh, 0f);
        for (int c = 0; c < classes; c++) {
            float d = p[c];
            g[3][c] += d;
            int o = c * hidden;
            for (int h = 0; h < hidden; h++) {
                g[2][o + h] += d * z[h];
                dh[h] += d * w2[o + h];
            }
        }
        for (int h = 0; h < hidden; h++) {
            if (z[h] <= 0f) continue;
            float d = dh[h];
            g[1][h] += d;
            int o = h * in;
            for (int i = 0; i < in; i++) g[0][o + i] += d * xs[i];
        }
    }

    /** Most likely class of each row of x (n × in). */
    public int[] predict(float[] x, int n) {
        int[] out = new int[n];
        Parallel.forEach(n, r -> {
            float[] xs = new float[in], z = new float[hidden], p = new float[classes];
            standardize(x, r * in, xs);
            hidden(xs, z);
            logits(z, p);
            int best = 0;
            for (int c = 1; c < classes; c++) if (p[c] > p[best]) best = c;
            out[r] = best;
        });
        return out;
    }

    public int inputs() {
        return in;
    }

    private void standardize(float[] x, int off, float[] xs) {
        for (int i = 0; i < in; i++) xs[i] = (x[off + i] - mean[i]) * invStd[i];
    }

    private void hidden(float[] xs, float[] z) {
        for (int h = 0; h < hidden; h++) {
            float s = b1[h];
            int o = h * in;
            for (int i = 0; i < in; i++) s += w1[o + i] * xs[i];
            z[h] = Math.max(s, 0f);
        }
    }

    private void logits(float[] z, float[] p) {
        for (int c = 0; c < classes; c++) {
            float s = b2[c];
            int o = c * hidden;
            for (int h = 0; h < hidden; h++) s += w2[o + h] * z[h];
            p[c] = s;
        }
    }

    private static void softmax(float[] p) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : p) max = Math.max(max, v);
        float sum = 0f;
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) Math.exp(p[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
    }

    private static float[] gaussian(int n, double sd, SplittableRandom random) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (random.nextGaussian() * sd);
        return a;
    }
}
