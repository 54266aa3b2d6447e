package dev.veil.node.cmif;

/**
 * CMIF's sanitizer. Each token that is sensitive, or chosen with probability p otherwise, is replaced by the
 * argmax over its K candidate tokens of (normalized score + Laplace noise of scale 2Δ/ε): Report Noisy Max.
 *
 * <p>Exactness: scores are put on an integer grid of {@value #GRID} steps per unit and the noise is the
 * discrete Laplace distribution on that grid, sampled exactly ({@link ExactRandom#discreteLaplace}); the argmax
 * is an integer comparison (ties: the more similar candidate). With integer scores of sensitivity D grid steps,
 * noise of scale (2D + 1)/ε gives ε-DP: if i wins for x with noise r_i ≥ a, it wins for x' with r_i ≥ a + 2D + 1,
 * and P[r ≥ a + 2D + 1] ≥ e^{-ε} P[r ≥ a] for the discrete Laplace. The scale is rounded up, never down.
 * As in CMIF, the guarantee is between inputs that share a candidate list.
 */
public final class ReportNoisyMax extends TokenSanitizer {
    static final long GRID = 1L << 12;
    private static final long SCALE_DENOMINATOR = 1L << 16;

    private final Neighbors neighbors;
    private final long[] scores;   // quantized normalized scores, size × K
    private final long scaleNum;   // noise scale in grid steps = scaleNum / SCALE_DENOMINATOR

    public ReportNoisyMax(EmbeddingSpace space, Neighbors neighbors, SensitiveSet sensitive, SanitizerParams params) {
        super("rnm", space, sensitive, params);
        this.neighbors = neighbors;
        int k = neighbors.k();
        scores = new long[space.size() * k];
        for (int x = 0; x < space.size(); x++) {
            for (int j = 0; j < k; j++) scores[x * k + j] = Math.round(Math.clamp(neighbors.score(x, j), 0f, 1f) * GRID);
        }
        if (params.off()) {
            scaleNum = 0;
        } else {
            long sensitivity = (long) Math.ceil(params.delta() * GRID);
            double scale = (2.0 * sensitivity + 1) / params.epsilon();
            if (scale * SCALE_DENOMINATOR > 1e15) throw new IllegalArgumentException("ε too small: " + params.epsilon());
            scaleNum = (long) Math.ceil(scale * SCALE_DENOMINATOR);
        }
    }

    /** Report Noisy Max over the candidates of x. */
    @Override
    int choose(int x, ExactRandom random) {
        return neighbors.candidate(x, argmax(scores, x * neighbors.k(), neighbors.k(), scaleNum, SCALE_DENOMINATOR, random));
    }

    /**
     * The index j in [0, k) maximizing scores[offset + j] + Z_j, Z_j i.i.d. discrete Laplace of scale
     * scaleNum/scaleDen; ties go to the lower index.
     */
    static int argmax(long[] scores, int offset, int k, long scaleNum, long scaleDen, ExactRandom random) {
        int best = 0;
        long bestValue = Long.MIN_VALUE;
        for (int j = 0; j < k; j++) {
            long v = scores[offset + j] + random.discreteLaplace(scaleNum, scaleDen);
            if (v > bestValue) {
                bestValue = v;
                best = j;
            }
        }
        return best;
    }

    Neighbors neighbors() { return neighbors; }

    /** Quantized score of candidate j of x. */
    long score(int x, int j) { return scores[x * neighbors.k() + j]; }

    long scaleNumerator() { return scaleNum; }

    static long scaleDenominator() { return SCALE_DENOMINATOR; }

    @Override
    Guarantee.Scope scope() { return Guarantee.Scope.SHARED_CANDIDATES; }
}
