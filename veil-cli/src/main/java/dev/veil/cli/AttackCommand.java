package dev.veil.cli;

import dev.veil.attack.AttackLab;
import dev.veil.attack.Experiment;
import dev.veil.attack.Scheme;
import dev.veil.attack.metrics.Scores;
import dev.veil.attack.metrics.SentenceEncoder;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Plays the curious weights server: runs a victim workload through a scheme, records what the server saw, runs
 * every attack and prints TRA / exact match / sentence similarity for prompts and answers.
 */
@Command(name = "attack", mixinStandardHelpOptions = true,
        description = "Attack a scheme from the weights server's seat and report how much of the prompts and answers leaks.")
final class AttackCommand implements Callable<Integer> {
    @Option(names = "--scheme", required = true,
            description = "plain, remo, remo-otp, cmif or shares (each server's view alone, and both joined as colluding servers)")
    String scheme;

    @Option(names = {"--m", "--m-fraction"}, defaultValue = "1/8",
            description = "ReMO: rank m of the public bases, as a fraction of d_in (1/8, 0.125) or a count (8) (default 1/8)")
    String m;

    @Option(names = "--mask-scale", defaultValue = "1", description = "ReMO, float mode: standard deviation σ of a mask entry (default 1, the node's default)")
    double maskScale;

    @Option(names = "--numeric", defaultValue = "float", description = "ReMO: float, exact (= z64), z64 or z32 (default float); remo-otp, shares: z64 unless z32")
    String numeric;

    @Option(names = "--epsilon", defaultValue = "1", description = "CMIF: ε per sanitized token, or inf (default 1)")
    String epsilon;

    @Option(names = "--sanitizer", defaultValue = "rnm", description = "CMIF: rnm (CMIF's own), santext+ or custext+ (default rnm)")
    String sanitizer;

    @Mixin
    Workload workload = new Workload();

    @Override
    public Integer call() throws Exception {
        Model model = workload.loadModel();
        var progress = new ProgressBar(System.err);
        String id = workload.model.getFileName().toString();
        if (scheme.equals("shares")) return shares(model, id, progress);
        Scheme s = switch (scheme) {
            case "plain" -> Scheme.plain(model);
            case "remo" -> new TalariaScheme(model, id, rank(m), Numeric.parse(numeric), maskScale);
            case "remo-otp" -> new OtpScheme(model, id, Numeric.parse(numeric.equals("float") ? "z64" : numeric));
            case "cmif" -> new CmifScheme(model, id, workload.sanitizer(model, sanitizer, UtilityCommand.parseEpsilon(epsilon)));
            default -> throw new IllegalArgumentException("unknown scheme '" + scheme + "' (plain, remo, remo-otp, cmif, shares)");
        };
        try (var encoder = !workload.noSimilarity ? new SentenceEncoder() : null) {
            var outcome = workload.experiment(model, encoder).run(s, workload.victimPrompts(model), workload.publicPrompts(model), progress::update);
            progress.finish();
            print(outcome, System.out);
        }
        return 0;
    }

    /**
     * shares: every attack on the two servers joined (colluding), then on each server's view alone; the TRA lines
     * at the end name the view after the attack (vocab-matching@A).
     */
    private int shares(Model model, String id, ProgressBar progress) throws Exception {
        if (workload.transcript != null) throw new IllegalArgumentException("--transcript keeps one server's view; for shares use veil generate's --transcript and --transcript-b");
        Numeric ring = Numeric.parse(numeric.equals("float") ? "z64" : numeric);
        if (!ring.exact()) throw new IllegalArgumentException("shares split over a ring: --numeric exact (Z_2^64) or z32");
        var victims = workload.victimPrompts(model);
        var pub = workload.publicPrompts(model);
        java.util.List<Experiment.Outcome> outcomes = new java.util.ArrayList<>();
        try (var encoder = !workload.noSimilarity ? new SentenceEncoder() : null) {
            var experiment = workload.experiment(model, encoder);
            for (ShareViews.View v : new ShareViews.View[] {ShareViews.View.JOINED, ShareViews.View.A, ShareViews.View.B}) {
                outcomes.add(experiment.run(new SharesAttackScheme(model, id, ring, v), victims, pub, progress::update));
            }
        }
        progress.finish();
        for (var o : outcomes) {
            table(o, System.out);
            System.out.println();
        }
        String[] tags = {"A+B", "A", "B"};
        for (int i = 0; i < outcomes.size(); i++) traLines(outcomes.get(i), "@" + tags[i], System.out);
        return 0;
    }

    /** Parses m: a fraction of d_in ("1/8", "0.125") or a whole rank ("8"). */
    static double rank(String s) {
        try {
            int slash = s.indexOf('/');
            double v = slash < 0 ? Double.parseDouble(s) : Double.parseDouble(s.substring(0, slash)) / Double.parseDouble(s.substring(slash + 1));
            if (!(v > 0 && (v < 1 || v == Math.rint(v))) || Double.isInfinite(v)) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--m must be a fraction of d_in in (0, 1), like 1/8 or 0.125, or a whole rank like 8; got '" + s + "'");
        }
    }

    static void print(Experiment.Outcome o, PrintStream out) {
        table(o, out);
        out.println();
        traLines(o, "", out);
    }

    static void table(Experiment.Outcome o, PrintStream out) {
        out.printf(Locale.ROOT, "scheme %s: %d victim sequences, attacker trained on %d of its own%n%n", o.scheme(), o.victimSequences(), o.trainingSequences());
        out.printf(Locale.ROOT, "%-26s | %10s %9s %9s | %10s %9s %9s%n", "attack", "prompt TRA", "EM", "sim", "answer TRA", "EM", "sim");
        out.println("-".repeat(26) + "-+-" + "-".repeat(30) + "-+-" + "-".repeat(30));
        for (AttackLab.Result r : o.results()) {
            out.printf(Locale.ROOT, "%-26s | %10s %9s %9s | %10s %9s %9s%n", r.attack(), pct(r.prompt().tra()), pct(r.prompt().exactMatch()),
                    sim(r.prompt()), pct(r.answer().tra()), pct(r.answer().exactMatch()), sim(r.answer()));
        }
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
