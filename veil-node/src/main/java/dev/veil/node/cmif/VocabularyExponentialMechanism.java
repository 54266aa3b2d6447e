package dev.veil.node.cmif;

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

    private final int[] outputs;       // the eligible ids
    private final float[] unit;        // every id's unit vector, row-major
    private final long epsilonNum;

    public VocabularyExponentialMechanism(EmbeddingSpace space, SanitizerParams params) {
        super("em", space, null, params);
        outputs = IntStream.range(0, space.size()).filter(space::eligible).toArray();
        if (outputs.length < 2) throw new IllegalArgumentException("the exponential mechanism needs at least 2 eligible tokens");
        unit = space.unitRows();
        epsilonNum = params.off() ? 0 : params.epsilonNumerator();
    }

    /**
     * {@link ExponentialMechanism#sample} with the costs computed only for the proposals: x is eligible, so the least
     * cost is its own, 0, and a proposal y is accepted with probability exp(-ε cost(x, y) / (2 GRID)). The expected
     * number of proposals is |V| / Σ_y exp(-ε cost(x, y) / (2 GRID)), a few dot products even at large ε.
     */
    @Override
    int choose(int x, ExactRandom random) {
        long den = 2 * GRID * SanitizerParams.EPSILON_DENOMINATOR;
        while (true) {
            int y = outputs[(int) random.uniform(outputs.length)];
            if (random.bernoulliExp(Math.multiplyExact(cost(x, y), epsilonNum), den)) return y;
        }
    }

    @Override
    Guarantee.Scope scope() { return Guarantee.Scope.EVERY_PAIR; }

    /** GRID − u(x, y) on the grid, u = (1 + cos) / 2 clamped so rounding never leaves [0, GRID]; 0 for y = x. */
    long cost(int x, int y) {
        if (x == y) return 0;
        int dim = space.dim();
        float dot = 0;
        for (int i = 0; i < dim; i++) dot += unit[x * dim + i] * unit[y * dim + i];
        float cos = Math.clamp(dot, -1f, 1f);
        return GRID - Math.round((1 + cos) / 2 * GRID);
    }

    /** The exact output distribution for x over the eligible ids, in {@link #outputs()} order (tests). */
    double[] probabilities(int x) {
        int[] costs = new int[outputs.length];
        for (int j = 0; j < outputs.length; j++) costs[j] = (int) cost(x, outputs[j]);
        return ExponentialMechanism.probabilities(costs, costs.length, GRID, epsilonNum);
    }

    int[] outputs() { return outputs.clone(); }
}
