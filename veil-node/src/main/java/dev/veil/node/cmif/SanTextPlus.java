package dev.veil.node.cmif;

import dev.veil.engine.tensor.F32Tensor;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SanText+ (Yue et al., ACL Findings 2021). Sensitive tokens always, others with probability p, are replaced by a
 * sample from the sensitive set S with P[y|x] ∝ exp(-ε d(φx, φy) / 2), d the Euclidean distance of embeddings.
 *
 * <p>Distances are put on a grid of {@value #GRID} steps per unit and sampled exactly by
 * {@link ExponentialMechanism}; the rounding moves each distance by at most 1/(2·GRID), so the metric-DP bound
 * exp(ε d(x, x')) holds with d(x, x') + 1/GRID.
 */
public final class SanTextPlus extends TokenSanitizer {
    static final long GRID = 1L << 10;

    private final F32Tensor outputs;      // the sensitive rows, |S| × dim
    private final float[] outputNorms;    // |y|²
    private final long epsilonNum;
    // Distances of recently sanitized tokens: frequent words recur, and computing |S| distances dominates.
    private final ConcurrentHashMap<Integer, int[]> costCache = new ConcurrentHashMap<>();
    private final int cacheEntries;

    public SanTextPlus(EmbeddingSpace space, SensitiveSet sensitive, SanitizerParams params) {
        super("santext+", space, sensitive, params);
        if (sensitive.size() == 0) throw new IllegalArgumentException("SanText+ needs a non-empty sensitive set");
        int dim = space.dim(), n = sensitive.size();
        float[] rows = new float[n * dim];
        outputNorms = new float[n];
        for (int s = 0; s < n; s++) {
            int y = sensitive.id(s);
            for (int i = 0; i < dim; i++) {
                float v = space.get(y, i);
                rows[s * dim + i] = v;
                outputNorms[s] += v * v;
            }
        }
        outputs = F32Tensor.of(rows);
        epsilonNum = params.off() ? 0 : params.epsilonNumerator();
        cacheEntries = Math.max(64, CACHE_INTS / n);
    }

    private static final int CACHE_INTS = 16 << 20; // 64 MiB of cached distances at most

    /** The exponential mechanism over the sensitive ids. */
    @Override
    int choose(int x, ExactRandom random) {
        int[] costs = costs(x);
        return sensitive.id(ExponentialMechanism.sample(costs, costs.length, GRID, epsilonNum, random));
    }

    private int[] costs(int x) {
        int[] c = costCache.get(x);
        if (c == null) {
            c = new int[sensitive.size()];
            distances(x, c);
            if (costCache.size() < cacheEntries) costCache.put(x, c);
        }
        return c;
    }

    /** Quantized Euclidean distances from x to every sensitive id. */
    void distances(int x, int[] costs) {
        float[] v = space.vector(x);
        float xx = 0;
        for (float f : v) xx += f * f;
        int dim = space.dim();
        for (int s = 0; s < costs.length; s++) {
            float d2 = xx + outputNorms[s] - 2 * outputs.dot((long) s * dim, v, 0, dim);
            costs[s] = sensitive.id(s) == x ? 0 : (int) Math.round(Math.sqrt(Math.max(d2, 0f)) * GRID);
        }
    }

    /** The exact output distribution for x over the sensitive ids (tests). */
    double[] probabilities(int x) {
        int[] costs = costs(x);
        return ExponentialMechanism.probabilities(costs, costs.length, GRID, epsilonNum);
    }

    SensitiveSet sensitive() { return sensitive; }

    @Override
    Guarantee.Scope scope() { return Guarantee.Scope.METRIC; }
}
