package dev.veil.node.cmif;

import dev.veil.engine.tensor.F32Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * CusText+ (Chen et al., ACL Findings 2023). The vocabulary is partitioned once into output sets of K tokens:
 * taking tokens from the most frequent, each unassigned token and its K - 1 nearest unassigned tokens (cosine)
 * form one set, shared by all its members. Every token that is not a stop word is replaced by a sample from its
 * set with P[y|x] ∝ exp(ε u(x, y) / 2), u the similarity to x min-max normalized to [0, 1] over the set. As the
 * members share their set and u has sensitivity 1, this is ε-DP between any two members.
 *
 * <p>u is put on a grid of {@value #GRID} steps and sampled exactly by {@link ExponentialMechanism}.
 */
public final class CusTextPlus extends TokenSanitizer {
    static final long GRID = 1L << 12;

    private final int[][] sets;       // per set: its members
    private final int[] setOf;        // per id: its set, -1 when not eligible
    private final int[][] costs;     // per id: GRID - quantized u(x, member), in the set's order
    private final boolean[] stopWord;
    private final long epsilonNum;

    public CusTextPlus(EmbeddingSpace space, long[] counts, SanitizerParams params) {
        super("custext+", space, null, params);
        int n = space.size(), k = params.k(), dim = space.dim();
        float[] unit = space.unitRows();
        F32Tensor unitMatrix = F32Tensor.of(unit);
        Integer[] order = IntStream.range(0, n).filter(space::eligible).boxed().toArray(Integer[]::new);
        if (order.length < k) throw new IllegalArgumentException("K = " + k + " exceeds the " + order.length + " eligible tokens");
        Arrays.sort(order, (a, b) -> counts[a] != counts[b] ? Long.compare(counts[b], counts[a]) : Integer.compare(a, b));
        boolean[] assigned = new boolean[n];
        setOf = new int[n];
        Arrays.fill(setOf, -1);
        costs = new int[n][];
        var setList = new java.util.ArrayList<int[]>();
        float[] sims = new float[n];
        float[] x = new float[dim];
        int remaining = order.length;
        for (int seed : order) {
            if (assigned[seed]) continue;
            System.arraycopy(unit, seed * dim, x, 0, dim);
            for (int j = 0; j < n; j++) if (space.eligible(j) && !assigned[j]) sims[j] = unitMatrix.dot((long) j * dim, x, 0, dim);
            int[] members = TopK.select(sims, 0, n, Math.min(k, remaining), j -> space.eligible(j) && !assigned[j], seed);
            for (int m : members) {
                assigned[m] = true;
                setOf[m] = setList.size();
            }
            remaining -= members.length;
            setList.add(members);
        }
        sets = setList.toArray(int[][]::new);
        for (int[] members : sets) {
            for (int m : members) costs[m] = utilityCosts(unitMatrix, unit, m, members, dim);
        }
        stopWord = new boolean[n];
        Set<String> stop = stopWords();
        for (int i = 0; i < n; i++) stopWord[i] = stop.contains(normalizeLabel(space.label(i)));
        epsilonNum = params.off() ? 0 : params.epsilonNumerator();
    }

    /** Eligible and not a stop word. */
    @Override
    boolean candidate(int x) { return setOf[x] >= 0 && !stopWord[x]; }

    /** The exponential mechanism over x's output set. */
    @Override
    int choose(int x, ExactRandom random) {
        int[] members = sets[setOf[x]];
        return members[ExponentialMechanism.sample(costs[x], members.length, GRID, epsilonNum, random)];
    }

    /** The output set of x (its members), or an empty array. */
    public int[] outputSet(int x) {
        return setOf[x] < 0 ? new int[0] : sets[setOf[x]].clone();
    }

    public boolean isStopWord(int x) { return stopWord[x]; }

    /** The exact output distribution of x over {@link #outputSet} (tests). */
    double[] probabilities(int x) {
        return ExponentialMechanism.probabilities(costs[x], costs[x].length, GRID, epsilonNum);
    }

    private static int[] utilityCosts(F32Tensor unitMatrix, float[] unit, int x, int[] members, int dim) {
        float[] v = Arrays.copyOfRange(unit, x * dim, x * dim + dim);
        float[] sim = new float[members.length];
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < members.length; j++) {
            sim[j] = members[j] == x ? 1f : unitMatrix.dot((long) members[j] * dim, v, 0, dim);
            min = Math.min(min, sim[j]);
            max = Math.max(max, sim[j]);
        }
        int[] c = new int[members.length];
        for (int j = 0; j < members.length; j++) {
            double u = max > min ? (sim[j] - min) / (max - min) : 1.0;
            c[j] = (int) (GRID - Math.round(u * GRID));
        }
        return c;
    }

    /** A word or a SentencePiece piece as the stop list spells it: lower case, without the word-start mark. */
    static String normalizeLabel(String label) {
        return label.replace("\u2581", "").toLowerCase(Locale.ROOT);
    }

    /** NLTK's English stop words (179), the list CusText+ keeps. */
    static Set<String> stopWords() {
        try (var in = CusTextPlus.class.getResourceAsStream("stopwords-en.txt")) {
            if (in == null) throw new IllegalStateException("stopwords-en.txt missing from the build");
            var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            Set<String> s = new HashSet<>();
            r.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(s::add);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    Guarantee.Scope scope() { return Guarantee.Scope.SHARED_OUTPUT_SET; }
}
