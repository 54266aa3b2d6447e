package dev.veil.attack;

import dev.veil.engine.Parallel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pushes every vocabulary token through the computation the attacker knows (embedding, RMSNorm and, past the
 * first linear input, the prefix it has already recovered) to the observed site, and picks the token whose
 * vector is nearest to what the server received. The first layer's QKV input depends on the token alone, so
 * there the 'vocab' candidates are computed once; deeper sites are decoded position by position.
 */
public final class VocabularyMatchingAttack implements Attack {
    public enum Distance { L2, COSINE }

    private final ShadowDecoder shadow;
    private final Site site;
    private final int layer;
    private final Distance distance;
    private final View view;
    private final float[] vocabulary;
    private final Map<Object, float[]> firstLayerCandidates = new ConcurrentHashMap<>();

    public VocabularyMatchingAttack(ShadowDecoder shadow, Site site, int layer, Distance distance, View view) {
        if (site == Site.LM_HEAD || site == Site.DECODER_STACK) {
            throw new IllegalArgumentException("vocabulary matching needs a per-token linear input, not " + site.label());
        }
        if (layer < 0 || layer >= shadow.config().layers()) throw new IllegalArgumentException("no layer " + layer);
        this.shadow = shadow;
        this.site = site;
        this.layer = layer;
        this.distance = distance;
        this.view = view;
        this.vocabulary = shadow.embedVocabulary();
    }

    @Override
    public String name() {
        String base = view == View.NULL_SPACE ? "null-space" : "vocab-matching";
        return site == Site.QKV && layer == 0 ? base : base + "@" + site.label() + layer;
    }

    @Override
    public int[] guess(Observation o) {
        int vocab = shadow.config().vocabSize(), n = o.positions(site, layer);
        float[] observed = view.observed(o, site, layer);
        int width = observed.length / n;
        int[] g = new int[n];
        if (site == Site.QKV && layer == 0) {
            Object key = view == View.RAW ? View.RAW : o.base(site, layer);
            float[] cands = firstLayerCandidates.computeIfAbsent(key, k -> candidates(o, shadow.prefix()));
            Parallel.forEach(n, i -> g[i] = nearest(observed, i * width, cands, vocab, width, distance));
            return g;
        }
        ShadowDecoder.Prefix prefix = shadow.prefix();
        for (int i = 0; i < n; i++) {
            g[i] = nearest(observed, i * width, candidates(o, prefix), vocab, width, distance);
            prefix.append(g[i]);
        }
        return g;
    }

    /** Every vocabulary token's vector at the site, after {@code prefix}, in this attack's view. */
    private float[] candidates(Observation o, ShadowDecoder.Prefix prefix) {
        float[] raw = shadow.run(prefix, vocabulary, shadow.config().vocabSize(), site, layer).target();
        return view.candidates(o, site, layer, raw);
    }

    /** Index of the candidate row nearest to x[off, off + width). */
    static int nearest(float[] x, int off, float[] cands, int count, int width, Distance distance) {
        int best = 0;
        double bestScore = Double.POSITIVE_INFINITY;
        double xNorm = 0;
        for (int i = 0; i < width; i++) xNorm += (double) x[off + i] * x[off + i];
        for (int t = 0; t < count; t++) {
            double score;
            int c = t * width;
            if (distance == Distance.L2) {
                score = 0;
                for (int i = 0; i < width; i++) {
                    double d = x[off + i] - cands[c + i];
                    score += d * d;
                }
            } else {
                double dot = 0, cn = 0;
                for (int i = 0; i < width; i++) {
                    dot += (double) x[off + i] * cands[c + i];
                    cn += (double) cands[c + i] * cands[c + i];
                }
                score = 1 - dot / Math.sqrt(Math.max(xNorm * cn, 1e-300));
            }
            if (score < bestScore) {
                bestScore = score;
                best = t;
            }
        }
        return best;
    }
}
