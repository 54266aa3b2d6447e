package dev.veil.engine.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The allocation-free sampler draws exactly what a plain sort of the whole vocabulary draws. */
class SamplerTest {
    /** The reference: every id sorted by logit (ties by id), then the same filters and draw. */
    static int reference(float[] logits, float temperature, int topK, float topP, float minP, SplittableRandom random) {
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = topK > 0 ? Math.min(topK, logits.length) : logits.length;
        double max = logits[order[0]] / temperature, sum = 0;
        double[] probs = new double[keep];
        for (int i = 0; i < keep; i++) sum += probs[i] = Math.exp(logits[order[i]] / temperature - max);
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
        for (int i = 0; i < kept; i++) if ((u -= probs[i]) < 0) return order[i];
        return order[kept - 1];
    }

    @Test
    void drawsWhatTheFullSortDraws() {
        var rnd = new Random(12);
        for (int trial = 0; trial < 300; trial++) {
            int vocab = 1 + rnd.nextInt(600), topK = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(50);
            float temperature = 0.2f + rnd.nextFloat() * 1.5f, topP = rnd.nextBoolean() ? 1f : 0.05f + 0.9f * rnd.nextFloat();
            float minP = rnd.nextBoolean() ? 0f : 0.1f * rnd.nextFloat();
            float[] logits = new float[vocab];
            for (int i = 0; i < vocab; i++) logits[i] = rnd.nextInt(5) == 0 ? 1.5f : (float) (3 * rnd.nextGaussian());  // ties too
            long seed = rnd.nextLong();
            var sampler = new Sampler(temperature, topK, topP, minP, seed);
            var random = new SplittableRandom(seed);
            for (int draw = 0; draw < 5; draw++) {
                assertEquals(reference(logits, temperature, topK, topP, minP, random), sampler.sample(logits),
                        "vocab " + vocab + " top-k " + topK + " top-p " + topP + " min-p " + minP);
            }
        }
    }

    @Test
    void selectPutsTheKSmallestFirst() {
        var rnd = new Random(4);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rnd.nextInt(300), k = 1 + rnd.nextInt(n);
            long[] a = new long[n];
            for (int i = 0; i < n; i++) a[i] = rnd.nextInt(40);
            long[] sorted = a.clone();
            Arrays.sort(sorted);
            Sampler.select(a, n, k);
            long[] first = Arrays.copyOf(a, k);
            Arrays.sort(first);
            assertTrue(Arrays.equals(Arrays.copyOf(sorted, k), first), "n " + n + " k " + k);
        }
    }
}
