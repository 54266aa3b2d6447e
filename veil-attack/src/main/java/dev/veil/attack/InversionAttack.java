package dev.veil.attack;

import dev.veil.engine.Parallel;
import java.util.SplittableRandom;

/**
 * Inversion by optimization (TokenInv-style): for each position, gradient descent (Adam) on a free input
 * embedding until the attacker's decoder reproduces what the server received at the site (in the attack's
 * view: for ReMO, the component outside rowspace(Mpub)), then a snap to the vocabulary row nearest by cosine.
 * Past the first linear input the snapped prefix feeds the next position, as in vocabulary matching.
 */
public final class InversionAttack implements Attack {
    private final ShadowDecoder shadow;
    private final Site site;
    private final int layer;
    private final View view;
    private final int steps;
    private final float learningRate;
    private final long seed;
    private final float[] vocabulary, mean;

    public InversionAttack(ShadowDecoder shadow, Site site, int layer, View view, int steps, float learningRate, long seed) {
        if (site == Site.LM_HEAD || site == Site.DECODER_STACK) throw new IllegalArgumentException("inversion needs a per-token linear input");
        this.shadow = shadow;
        this.site = site;
        this.layer = layer;
        this.view = view;
        this.steps = steps;
        this.learningRate = learningRate;
        this.seed = seed;
        this.vocabulary = shadow.embedVocabulary();
        int dim = shadow.config().dim(), vocab = shadow.config().vocabSize();
        mean = new float[dim];
        for (int t = 0; t < vocab; t++) for (int i = 0; i < dim; i++) mean[i] += vocabulary[t * dim + i] / vocab;
    }

    @Override
    public String name() {
        String base = view == View.NULL_SPACE ? "null-space-inversion" : "inversion";
        return site == Site.QKV && layer == 0 ? base : base + "@" + site.label() + layer;
    }

    @Override
    public int[] guess(Observation o) {
        if (!view.differentiable(o)) throw new IllegalArgumentException("inversion by gradients cannot pass a ring's wrap-around");
        int n = o.positions(site, layer);
        float[] observed = view.observed(o, site, layer);
        int width = observed.length / n;
        int[] g = new int[n];
        if (site == Site.QKV && layer == 0) {
            // No prefix reaches the first linear input: positions are independent.
            Parallel.forEach(n, i -> g[i] = invert(o, shadow.prefix(), observed, i * width, width, new SplittableRandom(seed + i)));
            return g;
        }
        ShadowDecoder.Prefix prefix = shadow.prefix();
        for (int i = 0; i < n; i++) {
            g[i] = invert(o, prefix, observed, i * width, width, new SplittableRandom(seed + i));
            prefix.append(g[i]);
        }
        return g;
    }

    private int invert(Observation o, ShadowDecoder.Prefix prefix, float[] observed, int off, int width, SplittableRandom random) {
        int dim = shadow.config().dim();
        float[] target = java.util.Arrays.copyOfRange(observed, off, off + width);
        float[] e = mean.clone(), m1 = new float[dim], m2 = new float[dim];
        double spread = 0;
        for (float v : vocabulary) spread += (double) v * v;
        float sd = (float) Math.sqrt(spread / vocabulary.length);
        for (int i = 0; i < dim; i++) e[i] += (float) random.nextGaussian() * sd;
        for (int step = 1; step <= steps; step++) {
            var pass = shadow.run(prefix, e, 1, site, layer);
            float[] seen = view.candidates(o, site, layer, pass.target());
            float[] d = new float[width];
            for (int i = 0; i < width; i++) d[i] = 2 * (seen[i] - target[i]);
            float[] grad = shadow.backward(pass, view.candidates(o, site, layer, d)); // the projection is symmetric
            float lr = learningRate * sd * (float) (0.5 * (1 + Math.cos(Math.PI * step / steps)));
            for (int i = 0; i < dim; i++) {
                m1[i] = 0.9f * m1[i] + 0.1f * grad[i];
                m2[i] = 0.999f * m2[i] + 0.001f * grad[i] * grad[i];
                double mh = m1[i] / (1 - Math.pow(0.9, step)), vh = m2[i] / (1 - Math.pow(0.999, step));
                e[i] -= (float) (lr * mh / (Math.sqrt(vh) + 1e-12));
            }
        }
        return VocabularyMatchingAttack.nearest(e, 0, vocabulary, shadow.config().vocabSize(), dim, VocabularyMatchingAttack.Distance.COSINE);
    }
}
