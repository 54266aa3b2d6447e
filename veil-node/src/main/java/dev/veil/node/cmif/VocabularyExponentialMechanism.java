package dev.veil.node.cmif;

import dev.veil.engine.tensor.F32Tensor;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The exponential mechanism (McSherry and Talwar, FOCS 2007) over the whole eligible vocabulary: every editable
 * token x is replaced by a sample y with P[y|x] ∝ exp(ε u(x, y) / 2), u(x, y) = (1 + cos(φx, φy)) / 2 in [0, 1].
 * Every input shares the one output set and u has sensitivity 1, so ε bounds the ratio P[y|x] / P[y|x′] for
 * every pair of tokens x, x′ (RNM's ε holds only within a candidate list), and no token passes verbatim.
 * The price is utility: at small ε the output is nearly uniform over the vocabulary.
 *
 * <p>u is put on a grid of {@value #GRID} steps (cost = GRID − quantized u, so the cost still lies in [0, GRID]
 * and the bound stays exact) and sampled exactly by {@link ExponentialMechanism}.
 */
public final class VocabularyExponentialMechanism extends TokenSanitizer {
    static final long GRID = 1L << 12;
    private static final int CACHE_INTS = 16 << 20; // 64 MiB of cached costs at most

    private final int[] outputs;       // the eligible ids
    private final F32Tensor unitRows;  // every id's unit vector
    private final long epsilonNum;
    // Costs of recently sanitized tokens: frequent words recur, and computing |V| similarities dominates.
    private final ConcurrentHashMap<Integer, int[]> costCache = new ConcurrentHashMap<>();
    private final int cacheEntries;

    public VocabularyExponentialMechanism(EmbeddingSpace space, SanitizerParams params) {
        super("em", space, null, params);
        outputs = IntStream.range(0, space.size()).filter(space::eligible).toArray();
        if (outputs.length < 2) throw new IllegalArgumentException("the exponential mechanism needs at least 2 eligible tokens");
        unitRows = F32Tensor.of(space.unitRows());
        epsilonNum = params.off() ? 0 : params.epsilonNumerator();
        cacheEntries = Math.max(64, CACHE_INTS / outputs.length);
    }

    @Override
    int choose(int x, ExactRandom random) {
        int[] costs = costs(x);
        return outputs[ExponentialMechanism.sample(costs, costs.length, GRID, epsilonNum, random)];
    }

    @Override
    Guarantee.Scope scope() { return Guarantee.Scope.EVERY_PAIR; }

    private int[] costs(int x) {
        int[] c = costCache.get(x);
        if (c == null) {
            c = new int[outputs.length];
            int dim = space.dim();
            float[] v = new float[dim];
            for (int i = 0; i < dim; i++) v[i] = unitRows.getFloat((long) x * dim + i);
            for (int j = 0; j < outputs.length; j++) {
                // u = (1 + cos) / 2 on the grid, clamped so rounding never leaves [0, GRID]
                float cos = outputs[j] == x ? 1f : Math.clamp(unitRows.dot((long) outputs[j] * dim, v, 0, dim), -1f, 1f);
                c[j] = (int) (GRID - Math.round((1 + cos) / 2 * GRID));
            }
            if (costCache.size() < cacheEntries) costCache.put(x, c);
        }
        return c;
    }

    /** The exact output distribution for x over the eligible ids (tests). */
    double[] probabilities(int x) {
        int[] costs = costs(x);
        return ExponentialMechanism.probabilities(costs, costs.length, GRID, epsilonNum);
    }

    int[] outputs() { return outputs.clone(); }
}
