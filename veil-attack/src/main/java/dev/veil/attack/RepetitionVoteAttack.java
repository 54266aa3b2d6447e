package dev.veil.attack;

import dev.veil.engine.model.Model;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The curious server's vote over copies of one prompt (issue 23): a person retrying a prompt, or a chat client
 * re-sending its conversation each turn, hands the server several copies; it reads each copy with its best exact
 * per-copy attack and takes, position by position, the token most copies show. Copies are aligned at their end, so
 * the vote also runs over paraphrases that share a sentence after varied openings ("Please summarise: ..."). Under
 * fresh sanitization per request the vote converges on the original tokens; under consistent draws every copy is
 * the same and the vote gains nothing.
 */
public final class RepetitionVoteAttack {
    /** How the copies differ: not at all, or in their openings. */
    public enum Variant { REPEATS, PARAPHRASES }

    /** The share of the sentences' tokens the vote over the first {@code copies} copies recovered. */
    public record Point(Variant variant, int copies, double tra) {}

    /** The point of {@code points} where the vote recovered most (over the most copies, either variant). */
    public static Point strongest(List<Point> points) {
        return points.stream().max(java.util.Comparator.comparingDouble(Point::tra).thenComparingInt(Point::copies)).orElseThrow();
    }

    /** Openings a user or an app puts before the same sentence (tokenized with the model's tokenizer). */
    static final List<String> OPENINGS = List.of("Please summarise: ", "Read this: ", "Here is a sentence: ", "Tell me more about this: ",
            "Consider: ", "Quick question: ", "Once more: ", "My text: ");

    private RepetitionVoteAttack() {}

    /** The token most of {@code copies} show at each of the last {@code length} positions (ties: the earliest copy's). */
    static int[] vote(List<int[]> copies, int length) {
        int[] out = new int[length];
        for (int i = 0; i < length; i++) {
            Map<Integer, Integer> counts = new HashMap<>();
            int best = -1, bestCount = 0;
            for (int[] c : copies) {
                int p = c.length - length + i;
                if (p < 0) continue;
                int n = counts.merge(c[p], 1, Integer::sum);
                if (n > bestCount) {
                    bestCount = n;
                    best = c[p];
                }
            }
            out[i] = best;
        }
        return out;
    }

    /**
     * Runs every sentence {@code max(copies)} times through {@code scheme}'s victim (for {@link Variant#PARAPHRASES}, each
     * copy after another opening), reads each copy with the lab's best exact per-copy attack on what the server sees
     * ({@link Experiment#exactReader}), and scores the vote over the first k copies.
     *
     * @param sentences prompts without BOS (the shared text)
     */
    public static List<Point> run(Experiment experiment, Model model, AttackTarget scheme, List<int[]> sentences, int[] copies,
                                  Experiment.Progress progress) throws java.io.IOException {
        int most = java.util.Arrays.stream(copies).max().orElse(1);
        var lab = new AttackLab(model, null);
        List<Point> points = new ArrayList<>();
        for (Variant v : Variant.values()) {
            List<int[]> prompts = new ArrayList<>();
            for (int[] s : sentences) {
                for (int c = 0; c < most; c++) {
                    int[] opening = v == Variant.REPEATS ? new int[0] : model.tokenizer().encode(OPENINGS.get(c % OPENINGS.size()));
                    int[] p = new int[1 + opening.length + s.length];
                    p[0] = model.tokenizer().bos();
                    System.arraycopy(opening, 0, p, 1, opening.length);
                    System.arraycopy(s, 0, p, 1 + opening.length, s.length);
                    prompts.add(p);
                }
            }
            var runs = experiment.throughTranscript(null, w -> scheme.victim(experiment.seed(), w), prompts, 1,
                    scheme.name() + ": " + v.name().toLowerCase(java.util.Locale.ROOT), progress).runs();
            Attack reader = experiment.exactReader(runs.getFirst().observation());
            for (int k : copies) {
                long right = 0, total = 0;
                for (int si = 0; si < sentences.size(); si++) {
                    List<int[]> read = new ArrayList<>();
                    for (int c = 0; c < k; c++) read.add(lab.reconstruct(reader, runs.get(si * most + c).observation()).prompt());
                    int[] s = sentences.get(si), voted = vote(read, s.length);
                    for (int i = 0; i < s.length; i++) if (voted[i] == s[i]) right++;
                    total += s.length;
                }
                points.add(new Point(v, k, (double) right / total));
            }
        }
        return points;
    }
}
