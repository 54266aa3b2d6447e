package dev.veil.attack.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * How well guesses reconstruct a set of token sequences.
 *
 * @param tra        token reconstruction accuracy: share of true positions whose guess is exactly right (a guess
 *                   shorter than the truth misses the rest)
 * @param exactMatch share of sequences reconstructed exactly (same tokens, same length)
 * @param similarity mean cosine of the sentence embeddings of the guessed and the true text; NaN when not measured
 * @param positions  number of true positions scored
 * @param sequences  number of sequences scored
 */
public record Scores(double tra, double exactMatch, double similarity, long positions, int sequences) {

    /**
     * Scores {@code guesses} against {@code truths} (same order); {@code similarity} maps a (truth, guess) pair of
     * sequences to a similarity, or is null to skip that metric. Empty true sequences count for exact match only.
     */
    public static Scores of(List<int[]> truths, List<int[]> guesses, SequenceSimilarity similarity) {
        if (truths.size() != guesses.size()) throw new IllegalArgumentException(truths.size() + " truths but " + guesses.size() + " guesses");
        long correct = 0, positions = 0;
        int exact = 0, compared = 0;
        double sim = 0;
        for (int s = 0; s < truths.size(); s++) {
            int[] t = truths.get(s), g = guesses.get(s);
            for (int i = 0; i < Math.min(t.length, g.length); i++) if (t[i] == g[i]) correct++;
            positions += t.length;
            if (Arrays.equals(t, g)) exact++;
            if (similarity != null && t.length > 0) {
                sim += similarity.between(t, g);
                compared++;
            }
        }
        int n = truths.size();
        return new Scores(positions == 0 ? Double.NaN : (double) correct / positions, n == 0 ? Double.NaN : (double) exact / n,
                compared == 0 ? Double.NaN : sim / compared, positions, n);
    }

    /** Similarity of a true and a guessed token sequence. */
    public interface SequenceSimilarity {
        double between(int[] truth, int[] guess);

        /** Cosine of the sentence embeddings of both sequences' texts. */
        static SequenceSimilarity sentences(SentenceEncoder encoder, Function<int[], String> decode) {
            var cache = new java.util.concurrent.ConcurrentHashMap<String, float[]>();
            return (truth, guess) -> SentenceEncoder.cosine(
                    cache.computeIfAbsent(decode.apply(truth), encoder::embed),
                    cache.computeIfAbsent(decode.apply(guess), encoder::embed));
        }
    }
}
