package dev.veil.cli;

import dev.veil.attack.AttackLab;
import dev.veil.attack.Experiment;
import dev.veil.attack.AttackTarget;
import dev.veil.attack.RepetitionVoteAttack;
import dev.veil.attack.SchemeAttacks;
import dev.veil.attack.Sweep;
import dev.veil.attack.metrics.Scores;
import dev.veil.attack.metrics.SentenceEncoder;
import dev.veil.bench.frontier.FrontierCost;
import dev.veil.experiments.plot.LinePlot;
import dev.veil.engine.ModelFormatException;
import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeOption;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import dev.veil.protocol.Counts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Sweeps the schemes' privacy settings under every attack: ReMO's m/d (per numeric mode) and CMIF's ε, with the
 * unprotected model and ReMO with one-time pads as references; writes a table (Markdown and TSV) and plots of TRA
 * against the setting, with the frequency-prior floor drawn, as PNG and SVG.
 */
@Command(name = "privacy-report", mixinStandardHelpOptions = true, modelTransformer = PrivacyReportCommand.SweepOptions.class,
        description = "Sweep m/d for ReMO (and ε for CMIF) under every attack; write a table and TRA plots (PNG, SVG).")
final class PrivacyReportCommand implements Callable<Integer> {
    @Option(names = "--schemes", split = ",", defaultValue = "remo,remo-otp,cmif", paramLabel = "NAME",
            description = "schemes to sweep besides the plain reference, each as its attack adapter says (remo sweeps --m per "
                    + "--numeric, cmif sweeps --epsilon), else once at its defaults (default: ${DEFAULT-VALUE})")
    List<String> schemes;

    /** The schemes' sweep options as given ({@link SchemeAttacks#sweepOptions()}), by name: "m" → "1/4,3/4". */
    private final Map<String, String> sweepOptions = new LinkedHashMap<>();

    @Option(names = "--out", defaultValue = "privacy-report", paramLabel = "DIR",
            description = "output folder (default: ./${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--cost-model", paramLabel = "FILE",
            description = "frontier: the model whose node CPU per token is measured (default: --model; a wider one shows the cost at scale)")
    Path costModel;

    @Option(names = "--cost-tokens", defaultValue = "16", paramLabel = "N",
            description = "frontier: tokens per timed session (default: ${DEFAULT-VALUE})")
    int costTokens;

    @Option(names = "--cost-runs", defaultValue = "3", paramLabel = "R",
            description = "frontier: timed sessions per scheme, interleaved, after one warm-up (default: ${DEFAULT-VALUE})")
    int costRuns;

    @Option(names = "--repetition", split = ",", defaultValue = "1,7,31", paramLabel = "K",
            description = "frontier: the server also votes over K copies of each of --repetition-sentences victim prompts, repeated and"
                    + " after varied openings; 'none' skips it (default: ${DEFAULT-VALUE})")
    List<String> repetition;

    @Option(names = "--repetition-sentences", defaultValue = "6", paramLabel = "N",
            description = "frontier: victim prompts the repetition vote runs on (default: ${DEFAULT-VALUE})")
    int repetitionSentences;

    @Mixin
    Workload workload = new Workload();

    /** The repetition vote's points per scheme (and view), in the order measured. */
    private final Map<String, List<RepetitionVoteAttack.Point>> votes = new LinkedHashMap<>();

    /**
     * One point of the privacy frontier: a registered scheme at its defaults, the trusted node's CPU per token against
     * the plain float engine's (same run), the prompt TRA of the strongest attack on what its adversary sees (shares:
     * either server alone; {@code colluding}: both joined, else NaN), the frequency-prior floor, and the trust assumption.
     */
    record FrontierPoint(Scheme scheme, double cpuRatio, double cpuMs, double latencyMs, double tra, String attack, double colluding,
                         double prior, String trust) {}

    /** One row of the report. */
    record Row(String scheme, String setting, AttackLab.Result result) {}

    /** Adds the schemes' sweep options to the command. */
    static final class SweepOptions implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            Map<String, List<SchemeOption>> declared = new LinkedHashMap<>();
            for (var a : SchemeAttacks.all()) declared.put(a.scheme(), a.sweepOptions());
            SchemeOptionSpecs.of(declared, ((PrivacyReportCommand) spec.userObject()).sweepOptions).forEach(spec::addOption);
            return spec;
        }
    }

    /** What the options ask for: each scheme's lines as its attack adapter sweeps it (by default once, at its defaults). */
    List<Sweep> sweeps() {
        List<Sweep> sweeps = new ArrayList<>();
        for (String name : schemes) {
            // a scheme without a weights server shows the server the clear activations: the plain reference, always there
            if (Schemes.create(name).servers() == 0) continue;
            sweeps.addAll(SchemeAttacks.sweeps(name, sweepOptions));
        }
        return sweeps;
    }

    @Override
    public Integer call() throws Exception {
        // every scheme of the sweep is made (and its parameters checked), and every file found, before the model loads
        if (costModel != null && !Files.isRegularFile(costModel)) throw new ModelFormatException("model file not found: " + costModel);
        Map<String, String> defaults = workload.schemeDefaults();
        List<Sweep> sweeps = sweeps();
        List<List<Scheme>> points = new ArrayList<>();
        for (Sweep s : sweeps) {
            List<Scheme> line = new ArrayList<>();
            for (String v : s.values()) {
                Map<String, String> params = new LinkedHashMap<>(s.fixed());
                if (s.param() != null) params.put(s.param(), v);
                line.add(Schemes.create(s.scheme(), new SchemeParams(params, defaults)));
            }
            points.add(line);
        }
        Model model = workload.loadModel();
        Files.createDirectories(out);
        var progress = new ProgressBar(System.err);
        String modelId = workload.model.getFileName().toString();
        List<Row> rows = new ArrayList<>();
        try (var encoder = workload.noSimilarity ? null : new SentenceEncoder()) {
            Experiment experiment = workload.experiment(model, encoder);
            var victim = workload.victimPrompts(model);
            var pub = workload.publicPrompts(model);
            for (var r : experiment.run(AttackTarget.plain(model), victim, pub, progress::update).results()) rows.add(new Row("plain", "-",
                    r));
            for (int i = 0; i < sweeps.size(); i++) {
                Sweep s = sweeps.get(i);
                for (int k = 0; k < s.values().size(); k++) {
                    Scheme scheme = points.get(i).get(k);
                    String setting = s.param() == null ? scheme.describe() : s.prefix() + s.values().get(k);
                    for (var target : SchemeTarget.views(scheme, model, modelId)) { // shares: each server alone, and both colluding
                        String view = target.view() != null ? target.view().label() : setting;
                        for (var r : experiment.run(target, victim, pub, progress::update).results()) rows.add(new Row(s.label(), view, r));
                    }
                }
            }
        }
        List<FrontierPoint> frontier = frontier(model, modelId, defaults, progress);
        progress.finish();
        String table = markdown(rows) + "\n" + frontierMarkdown(frontier) + repetitionMarkdown(votes);
        Files.writeString(out.resolve("frontier.md"), frontierMarkdown(frontier));
        plotFrontier(frontier);
        Files.writeString(out.resolve("privacy-report.md"), table);
        Files.writeString(out.resolve("privacy-report.tsv"), tsv(rows));
        for (Sweep s : sweeps) {
            if (s.plot() != null) plot(rows, s.label(), s.prefix(), s.values(), s.plot().title(), s.plot().xLabel(), s.plot().file());
        }
        System.out.print(table);
        System.out.println();
        System.out.println("wrote " + out.resolve("privacy-report.md") + ", privacy-report.tsv, frontier.md and the plots (PNG, SVG) in "
                + out);
        return 0;
    }

    /**
     * Every registered scheme at its defaults as one point: its strongest attack's prompt TRA (the attack lab on what its
     * adversary sees) against its trusted node's CPU per token, measured in one run beside the plain float engine.
     */
    private List<FrontierPoint> frontier(Model model, String modelId, Map<String, String> defaults, ProgressBar progress)
            throws Exception {
        List<Scheme> registered = new ArrayList<>();
        for (var type : Schemes.types()) registered.add(Schemes.create(type.name(), new SchemeParams(Map.of(), defaults)));
        List<Scheme> measured = new ArrayList<>(registered);
        measured.addFirst(Schemes.create(Schemes.BASELINE, new SchemeParams(Map.of("numeric", "float")))); // measured like the others
        System.err.println("veil privacy-report: measuring the trusted node's CPU per token under " + Counts.of(registered.size(), "scheme") + "...");
        var costs = FrontierCost.measure(costModel != null ? costModel : workload.model, costModel != null ? null : workload.tokenizer,
                measured, "Once upon a time, there was a little girl", costTokens, costRuns, Main.class.getName());
        double baseline = costs.getFirst().cpuMsPerToken();
        List<FrontierPoint> points = new ArrayList<>();
        try (var encoder = workload.noSimilarity ? null : new SentenceEncoder()) {
            Experiment experiment = workload.experiment(model, encoder);
            var victim = workload.victimPrompts(model);
            var pub = workload.publicPrompts(model);
            for (int k = 0; k < registered.size(); k++) {
                Scheme scheme = registered.get(k);
                double tra = 0, colluding = Double.NaN, prior = Double.NaN;
                String attack = "-";
                for (var target : SchemeTarget.views(scheme, model, modelId)) {
                    boolean joined = target.view() != null && target.view().colluding();
                    String tag = target.tag();
                    for (var r : experiment.run(target, victim, pub, progress::update).results()) {
                        double t = r.prompt().tra();
                        if (r.attack().equals("frequency-prior")) prior = t;
                        else if (joined) colluding = Double.isNaN(colluding) ? t : Math.max(colluding, t);
                        else if (t >= tra) {
                            tra = t;
                            attack = r.attack() + tag;
                        }
                    }
                    int[] copies = AttackCommand.copies(repetition);
                    if (copies.length == 0) continue;
                    // the vote over a repeated prompt is an attack like the others: the frontier takes it when it is strongest
                    var sentences = victim.subList(0, Math.min(repetitionSentences, victim.size())).stream()
                            .map(p -> java.util.Arrays.copyOfRange(p, 1, p.length)).toList();
                    var vote = RepetitionVoteAttack.run(experiment, model, target, sentences, copies, progress::update);
                    votes.put(scheme.name() + tag, vote);
                    var best = RepetitionVoteAttack.strongest(vote);
                    if (joined) colluding = Double.isNaN(colluding) ? best.tra() : Math.max(colluding, best.tra());
                    else if (best.tra() > tra) {
                        tra = best.tra();
                        attack = "repetition-vote, " + best.copies() + " copies" + tag;
                    }
                }
                var cost = costs.get(k + 1);
                // CMIF: first the share of the prompt the server received verbatim, then what ε covers
                String trust = (cost.verbatim() != null ? cost.verbatim() + "; " : "") + scheme.trust()
                        + (cost.privacy() != null ? "; " + cost.privacy() : "");
                points.add(new FrontierPoint(scheme, cost.cpuMsPerToken() / baseline, cost.cpuMsPerToken(), cost.wallMsPerToken(), tra, attack,
                        colluding, prior, trust));
            }
        }
        return points;
    }

    /** The repetition vote's prompt TRA per scheme, variant and number of copies (empty when it did not run). */
    static String repetitionMarkdown(Map<String, List<RepetitionVoteAttack.Point>> votes) {
        if (votes.isEmpty()) return "";
        var copies = votes.values().iterator().next().stream().map(RepetitionVoteAttack.Point::copies).distinct().toList();
        var sb = new StringBuilder("\nThe server's vote over copies of one prompt (prompt TRA; each copy read by the strongest exact attack, copies"
                + " aligned at their end):\n\n| scheme | copies are |");
        for (int k : copies) sb.append(' ').append(k).append(k == 1 ? " copy |" : " copies |");
        sb.append("\n|---|---|").append("---:|".repeat(copies.size())).append('\n');
        votes.forEach((scheme, points) -> {
            for (var v : RepetitionVoteAttack.Variant.values()) {
                sb.append("| ").append(scheme).append(" | ").append(v == RepetitionVoteAttack.Variant.REPEATS ? "repeated" : "after varied openings")
                        .append(" |");
                for (var p : points) if (p.variant() == v) sb.append(' ').append(AttackCommand.pct(p.tra())).append(" |");
                sb.append('\n');
            }
        });
        return sb.toString();
    }

    static String frontierMarkdown(List<FrontierPoint> points) {
        var sb = new StringBuilder("| scheme | trust assumption | node CPU / plain float | node CPU ms/token | latency ms/token "
                + "| prompt TRA, strongest attack | if the servers collude | prior (floor) |\n|---|---|---:|---:|---:|---|---:|---:|\n");
        for (var p : points) {
            sb.append(String.format(Locale.ROOT, "| %s (%s) | %s | %.3f | %.2f | %.2f | %s (%s) | %s | %s |%n", p.scheme().name(),
                    p.scheme().describe(), p.trust(), p.cpuRatio(), p.cpuMs(), p.latencyMs(), AttackCommand.pct(p.tra()), p.attack(),
                    Double.isNaN(p.colluding()) ? "-" : AttackCommand.pct(p.colluding()), AttackCommand.pct(p.prior())));
        }
        return sb.toString();
    }

    /** The frontier as a scatter: one point per scheme (shares' colluding servers as a hollow point), the prior dashed. */
    private void plotFrontier(List<FrontierPoint> points) throws IOException {
        double xMax = 1.2 * points.stream().mapToDouble(FrontierPoint::cpuRatio).max().orElse(1);
        var plot = LinePlot.scatter("Privacy frontier: prompt TRA against the trusted node's CPU", "node CPU per token / plain float engine",
                "prompt TRA (%), strongest attack", 0, Math.max(1.2, xMax), 0, 100);
        for (var p : points) {
            plot.point(p.scheme().name(), p.cpuRatio(), 100 * p.tra(), p.trust(), false);
            if (!Double.isNaN(p.colluding())) plot.point(p.scheme().name() + ", colluding", p.cpuRatio(), 100 * p.colluding(),
                    "if the servers collude", true);
        }
        plot.writePng(out.resolve("frontier.png"));
        plot.writeSvg(out.resolve("frontier.svg"));
    }

    /** Prompt and answer TRA of every attack against one scheme's setting, the prior dashed. */
    private void plot(List<Row> rows, String scheme, String prefix, List<String> ticks, String what, String xLabel,
            String file) throws IOException {
        for (String part : new String[] {"prompt", "answer"}) {
            Map<String, double[]> series = new LinkedHashMap<>();
            for (Row r : rows) {
                if (!r.scheme().equals(scheme)) continue;
                int i = ticks.indexOf(r.setting().substring(prefix.length()));
                double[] y = series.computeIfAbsent(r.result().attack(), k -> {
                    double[] a = new double[ticks.size()];
                    java.util.Arrays.fill(a, Double.NaN);
                    return a;
                });
                y[i] = 100 * (part.equals("prompt") ? r.result().prompt() : r.result().answer()).tra();
            }
            var plot = new LinePlot(what + ": " + part + " tokens recovered", xLabel, "TRA (%)", ticks, 0, 100);
            series.forEach((name, y) -> {
                if (!name.equals("frequency-prior")) plot.add(legend(name), y, false);
            });
            if (series.containsKey("frequency-prior")) plot.add("prior (floor)", series.get("frequency-prior"), true);
            String base = file + (part.equals("prompt") ? "" : "-answers");
            plot.writePng(out.resolve(base + ".png"));
            plot.writeSvg(out.resolve(base + ".svg"));
        }
    }

    /** A legend label short enough for the plot's legend column (the table keeps the full attack names). */
    static String legend(String attack) {
        return switch (attack) {
            case "null-space-token-infer" -> "null-space MLP";
            case "null-space-inversion" -> "null-space inv.";
            case "token-infer@decoder-stack" -> "token-infer";
            default -> attack;
        };
    }

    static String markdown(List<Row> rows) {
        var sb = new StringBuilder("| scheme | setting | attack | prompt TRA | prompt EM | prompt sim | answer TRA | answer EM | answer sim |\n");
        sb.append("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            Scores p = r.result().prompt(), a = r.result().answer();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.scheme(), r.setting(),
                    r.result().attack(),
                    AttackCommand.pct(p.tra()), AttackCommand.pct(p.exactMatch()), AttackCommand.sim(p),
                    AttackCommand.pct(a.tra()), AttackCommand.pct(a.exactMatch()), AttackCommand.sim(a)));
        }
        return sb.toString();
    }

    static String tsv(List<Row> rows) {
        var sb = new StringBuilder("scheme\tsetting\tattack\tprompt_tra\tprompt_em\tprompt_sim\tanswer_tra\tanswer_em\tanswer_sim\n");
        for (Row r : rows) {
            Scores p = r.result().prompt(), a = r.result().answer();
            sb.append(String.join("\t", r.scheme(), r.setting(), r.result().attack(), num(p.tra()), num(p.exactMatch()),
                    num(p.similarity()),
                    num(a.tra()), num(a.exactMatch()), num(a.similarity()))).append('\n');
        }
        return sb.toString();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6f", v);
    }

}
