package dev.veil.engine.inference;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Chooses the next token from logits. Temperature 0 is greedy (argmax, lowest id on ties); otherwise the
 * logits are scaled by 1/temperature, filtered by top-k, min-p and top-p (in that order), and sampled. With a
 * seed a run is reproducible; without one the draws come from {@link SecureRandom}, so one session's choices
 * say nothing about another's (a fixed default seed would make every session sample alike).
 */
public final class Sampler {
    private final float temperature, topP, minP;
    private final int topK;
    private final RandomGenerator random;
    /** Reused per call: (descending logit, id) keys and the kept candidates' weights. */
    private long[] keys = new long[0];
    private double[] probs = new double[0];

    /** A reproducible sampler: the same seed and logits give the same tokens. */
    public Sampler(float temperature, int topK, float topP, float minP, long seed) {
        this(temperature, topK, topP, minP, new SplittableRandom(seed));
    }

    /** A sampler drawing from {@link SecureRandom} (no seed: nothing to guess or to share between sessions). */
    public Sampler(float temperature, int topK, float topP, float minP) {
        this(temperature, topK, topP, minP, new SecureRandom());
    }

    private Sampler(float temperature, int topK, float topP, float minP, RandomGenerator random) {
        if (!(temperature >= 0) || topK < 0 || !(topP > 0 && topP <= 1) || !(minP >= 0 && minP < 1)) {
            throw new IllegalArgumentException("sampling needs temperature >= 0, top-k >= 0, 0 < top-p <= 1, 0 <= min-p < 1");
        }
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.minP = minP;
        this.random = random;
    }

    public static Sampler greedy() {
        return new Sampler(0f, 0, 1f, 0f, 0);
    }

    public int sample(float[] logits) {
        return sample(logits, 0, logits.length);
    }

    /**
     * Samples from logits[offset, offset + vocab). Without garbage: candidates are (logit, id) keys in a reused
     * array, top-k picks the k best by partial selection (only they are sorted), ties go to the lower id.
     */
    public int sample(float[] logits, int offset, int vocab) {
        if (temperature == 0f) return argmax(logits, offset, vocab);
        if (keys.length < vocab) {
            keys = new long[vocab];
            probs = new double[vocab];
        }
        for (int i = 0; i < vocab; i++) keys[i] = ((long) descending(logits[offset + i]) << 32) | i;
        int keep = topK > 0 ? Math.min(topK, vocab) : vocab;
        if (keep < vocab) select(keys, vocab, keep);
        Arrays.sort(keys, 0, keep);
        double max = logits[offset + id(0)] / temperature;
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(logits[offset + id(i)] / temperature - max);
            sum += probs[i];
        }
        int kept = 0;
        double cumulative = 0, total = 0;
        for (int i = 0; i < keep; i++) {
            double p = probs[i] / sum;
            if (i > 0 && (p < minP * (probs[0] / sum) || cumulative >= topP)) break;
            cumulative += p;
            total += probs[i];
            kept++;
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < kept; i++) {
            u -= probs[i];
            if (u < 0) return id(i);
        }
        return id(kept - 1);
    }

    private int id(int rank) {
        return (int) keys[rank];
    }

    /** An int that orders floats from largest to smallest (as signed ints). */
    private static int descending(float f) {
        int bits = Float.floatToIntBits(f);
        return ~(bits ^ ((bits >> 31) & 0x7fffffff));
    }

    /** Rearranges a[0, n) so that its k smallest values come first, in any order (quickselect). */
    static void select(long[] a, int n, int k) {
        int lo = 0, hi = n - 1;
        while (lo < hi) {
            long pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) {
                    long t = a[i];
                    a[i++] = a[j];
                    a[j--] = t;
                }
            }
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else return;
        }
    }

    static int argmax(float[] v, int offset, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[offset + i] > v[offset + best]) best = i;
        return best;
    }
}
