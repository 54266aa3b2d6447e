package dev.veil.cli;

import dev.veil.attack.AttackLab;
import dev.veil.attack.Experiment;
import dev.veil.attack.AttackTarget;
import dev.veil.attack.RepetitionVoteAttack;
import dev.veil.attack.metrics.Scores;
import dev.veil.attack.metrics.SentenceEncoder;
import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.Schemes;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Plays the curious weights server: runs a victim workload through a scheme, records what the server saw, runs
 * every attack and prints TRA / exact match / sentence similarity for prompts and answers.
 */
@Command(name = "attack", mixinStandardHelpOptions = true,
        description = "Attack a scheme from the weights server's seat and report how much of the prompts and answers leaks.")
final class AttackCommand implements Callable<Integer> {
    @Mixin SchemeOptions schemes;

    @Mixin
    Workload workload = new Workload();

    @picocli.CommandLine.Option(names = "--repetition", split = ",", paramLabel = "K1,K2",
            description = "also let the server vote over K copies of each of the first --repetition-sentences victim prompts, repeated"
                    + " and after varied openings (e.g. 1,3,7,31); 'none' skips it (default: ${DEFAULT-VALUE})",
            defaultValue = "none")
    List<String> repetition;

    @picocli.CommandLine.Option(names = "--repetition-sentences", defaultValue = "6", paramLabel = "N",
            description = "victim prompts the repetition vote runs on (default: ${DEFAULT-VALUE})")
    int repetitionSentences;

    @Override
    public Integer call() throws Exception {
        Scheme scheme = schemes.scheme(Schemes.DEFAULT, workload.schemeDefaults());
        TrustedNodes.warn(scheme, System.err);
        Model model = workload.loadModel();
        var progress = new ProgressBar(System.err);
        List<AttackTarget> targets = SchemeTarget.views(scheme, model, workload.model.getFileName().toString());
        List<Experiment.Outcome> outcomes = new ArrayList<>();
        try (var encoder = !workload.noSimilarity ? new SentenceEncoder() : null) {
            var experiment = workload.experiment(model, encoder);
            var victims = workload.victimPrompts(model);
            var pub = workload.publicPrompts(model);
            for (AttackTarget t : targets) outcomes.add(experiment.run(t, victims, pub, progress::update));
            int[] copies = copies(repetition);
            if (copies.length > 0) {
                var sentences = victims.subList(0, Math.min(repetitionSentences, victims.size())).stream()
                        .map(p -> java.util.Arrays.copyOfRange(p, 1, p.length)).toList();
                for (AttackTarget t : targets) {
                    votes.put(t.name() + t.tag(),
                            RepetitionVoteAttack.run(experiment, model, t, sentences, copies, progress::update));
                }
            }
            progress.finish();
        }
        for (var o : outcomes) table(o, System.out);
        // shares: the TRA lines name the view after the attack (vocab-matching@A), each server alone last
        for (int i = 0; i < outcomes.size(); i++) {
            traLines(outcomes.get(i), targets.get(i).tag(), System.out);
        }
        votes.forEach((name, points) -> repetitionLines(name, points, System.out));
        if (scheme.warning() != null) System.err.println("veil: warning: " + scheme.warning());
        return 0;
    }

    private final java.util.Map<String, List<RepetitionVoteAttack.Point>> votes = new java.util.LinkedHashMap<>();

    /** Copy counts from "1,3,7,31", or none for "none". */
    static int[] copies(List<String> repetition) {
        if (repetition.size() == 1 && repetition.getFirst().equals("none")) return new int[0];
        int[] k = repetition.stream().mapToInt(v -> {
            try {
                return Integer.parseInt(v.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--repetition takes copy counts such as 1,3,7,31 (or none), got '" + v + "'");
            }
        }).toArray();
        for (int v : k) if (v < 1) throw new IllegalArgumentException("--repetition: copy counts must be at least 1, got " + v);
        return k;
    }

    /** "TRA repetition-vote prompt: copies 1 68.60%, 3 82.60%, ..." per variant: the vote's share of prompt tokens against copies. */
    static void repetitionLines(String scheme, List<RepetitionVoteAttack.Point> points, PrintStream out) {
        for (var v : RepetitionVoteAttack.Variant.values()) {
            var line = new StringBuilder("TRA repetition-vote");
            line.append(v == RepetitionVoteAttack.Variant.REPEATS ? "" : "-paraphrases").append(' ').append(scheme).append(" prompt:");
            for (var p : points) if (p.variant() == v) line.append(" copies ").append(p.copies()).append(' ').append(pct(p.tra())).append(',');
            out.println(line.substring(0, line.length() - 1));
        }
    }

    static void table(Experiment.Outcome o, PrintStream out) {
        out.printf(Locale.ROOT, "scheme %s: %d victim sequences, attacker trained on %d of its own; the server's own splitting of its"
                + " transcript cuts %d of %d exactly%n%n", o.scheme(), o.victimSequences(), o.trainingSequences(), o.serverSplit(),
                o.victimSequences());
        out.printf(Locale.ROOT, "%-26s | %10s %9s %9s | %10s %9s %9s%n", "attack", "prompt TRA", "EM", "sim", "answer TRA", "EM", "sim");
        out.println("-".repeat(26) + "-+-" + "-".repeat(30) + "-+-" + "-".repeat(30));
        for (AttackLab.Result r : o.results()) {
            out.printf(Locale.ROOT, "%-26s | %10s %9s %9s | %10s %9s %9s%n", r.attack(), pct(r.prompt().tra()),
                    pct(r.prompt().exactMatch()),
                    sim(r.prompt()), pct(r.answer().tra()), pct(r.answer().exactMatch()), sim(r.answer()));
        }
        out.println();
    }

    /** One line per attack, "TRA vocab-matching prompt=0.00% answer=0.00%", the attack's name followed by {@code tag}. */
    static void traLines(Experiment.Outcome o, String tag, PrintStream out) {
        for (AttackLab.Result r : o.results()) {
            out.printf(Locale.ROOT, "TRA %s%s prompt=%s answer=%s%n", r.attack(), tag, pct(r.prompt().tra()), pct(r.answer().tra()));
        }
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    static String sim(Scores s) {
        return Double.isNaN(s.similarity()) ? "n/a" : String.format(Locale.ROOT, "%.3f", s.similarity());
    }
}
