package dev.veil.cli;

import dev.veil.attack.AttackLab;
import dev.veil.attack.Experiment;
import dev.veil.attack.Scheme;
import dev.veil.attack.metrics.Scores;
import dev.veil.attack.metrics.SentenceEncoder;
import dev.veil.cli.plot.LinePlot;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Sweeps the schemes' privacy settings under every attack: ReMO's m/d (per numeric mode) and CMIF's ε, with the
 * unprotected model, ReMO with one-time pads and two-server shares (each server alone and both colluding) as references; writes a table (Markdown and TSV) and plots of TRA
 * against the setting, with the frequency-prior floor drawn, as PNG and SVG.
 */
@Command(name = "privacy-report", mixinStandardHelpOptions = true,
        description = "Sweep m/d for ReMO (and ε for CMIF) under every attack; write a table and TRA plots (PNG, SVG).")
final class PrivacyReportCommand implements Callable<Integer> {
    static final String[] M_FRACTIONS = {"1/16", "1/8", "1/4", "1/2", "3/4", "15/16"};

    @Option(names = "--schemes", split = ",", defaultValue = "remo,remo-otp,cmif,shares",
            description = "what to sweep besides the plain reference: remo, remo-otp, cmif, shares (each server alone, and both colluding) (default: all)")
    List<String> schemes;

    @Option(names = "--epsilon", split = ",", defaultValue = "0.5,1,2,4,8,16",
            description = "CMIF ε values per token (default 0.5,1,2,4,8,16)")
    List<String> epsilons;

    @Option(names = "--sanitizer", defaultValue = "rnm", description = "CMIF sanitizer: rnm, santext+ or custext+ (default rnm)")
    String sanitizer;

    @Option(names = "--m", split = ",", description = "ReMO m/d values (default 1/16,1/8,1/4,1/2,3/4,15/16)")
    List<String> fractions = List.of(M_FRACTIONS);

    @Option(names = "--numeric", split = ",", defaultValue = "z64,float",
            description = "ReMO numeric modes to sweep: z64 (the paper's ring), z32, float (default z64,float)")
    List<String> numerics;

    @Option(names = "--mask-scale", defaultValue = "1", description = "ReMO float mode: standard deviation σ of a mask entry (default 1)")
    double maskScale;

    @Option(names = "--out", defaultValue = "privacy-report", description = "output folder (default ./privacy-report)")
    Path out;

    @Mixin
    Workload workload = new Workload();

    /** One row of the report. */
    record Row(String scheme, String setting, AttackLab.Result result) {}

    @Override
    public Integer call() throws Exception {
        Model model = workload.loadModel();
        List<Numeric> modes = numerics.stream().map(Numeric::parse).distinct().toList();
        for (String f : fractions) AttackCommand.rank(f);
        for (String e : epsilons) UtilityCommand.parseEpsilon(e);
        for (String sc : schemes) {
            if (!List.of("remo", "remo-otp", "cmif", "shares").contains(sc)) {
                throw new IllegalArgumentException("unknown scheme '" + sc + "' (remo, remo-otp, cmif, shares)");
            }
        }
        Files.createDirectories(out);
        var progress = new ProgressBar(System.err);
        String modelId = workload.model.getFileName().toString();
        List<Row> rows = new ArrayList<>();
        try (var encoder = workload.noSimilarity ? null : new SentenceEncoder()) {
            Experiment experiment = workload.experiment(model, encoder);
            var victim = workload.victimPrompts(model);
            var pub = workload.publicPrompts(model);
            for (var r : experiment.run(Scheme.plain(model), victim, pub, progress::update).results()) rows.add(new Row("plain", "-", r));
            if (schemes.contains("remo")) {
                for (Numeric numeric : modes) {
                    for (String f : fractions) {
                        var scheme = new TalariaScheme(model, modelId, AttackCommand.rank(f), numeric, maskScale);
                        for (var r : experiment.run(scheme, victim, pub, progress::update).results()) rows.add(new Row("remo-" + numeric, "m/d=" + f, r));
                    }
                }
            }
            if (schemes.contains("remo-otp")) {
                for (var r : experiment.run(new OtpScheme(model, modelId, Numeric.Z64), victim, pub, progress::update).results()) {
                    rows.add(new Row("remo-otp", "z64", r));
                }
            }
            if (schemes.contains("shares")) { // the non-collusion assumption in plain sight: each server alone, then both joined
                for (var view : ShareViews.View.values()) {
                    for (var r : experiment.run(new SharesAttackScheme(model, modelId, Numeric.Z64, view), victim, pub, progress::update).results()) {
                        rows.add(new Row("shares", view.label, r));
                    }
                }
            }
            if (schemes.contains("cmif")) {
                for (String e : epsilons) {
                    var scheme = new CmifScheme(model, modelId, workload.sanitizer(model, sanitizer, UtilityCommand.parseEpsilon(e)));
                    for (var r : experiment.run(scheme, victim, pub, progress::update).results()) rows.add(new Row("cmif-" + sanitizer, "ε=" + e, r));
                }
            }
        }
        progress.finish();
        String table = markdown(rows);
        Files.writeString(out.resolve("privacy-report.md"), table);
        Files.writeString(out.resolve("privacy-report.tsv"), tsv(rows));
        if (schemes.contains("remo")) {
            for (Numeric numeric : modes) {
                String what = numeric.exact() ? "ReMO over " + numeric.ring.name() : "ReMO in float, σ = " + fmt(maskScale);
                plot(rows, "remo-" + numeric, "m/d=", fractions, what, "m / d_in", "tra-vs-m-" + numeric);
            }
        }
        if (schemes.contains("cmif")) plot(rows, "cmif-" + sanitizer, "ε=", epsilons, "CMIF (" + sanitizer + ")", "ε per token", "tra-vs-epsilon");
        System.out.print(table);
        System.out.println();
        System.out.println("wrote " + out.resolve("privacy-report.md") + ", privacy-report.tsv and the TRA plots (PNG, SVG) in " + out);
        return 0;
    }

    /** Prompt and answer TRA of every attack against one scheme's setting, the prior dashed. */
    private void plot(List<Row> rows, String scheme, String prefix, List<String> ticks, String what, String xLabel, String file) throws IOException {
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
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.scheme(), r.setting(), r.result().attack(),
                    AttackCommand.pct(p.tra()), AttackCommand.pct(p.exactMatch()), AttackCommand.sim(p),
                    AttackCommand.pct(a.tra()), AttackCommand.pct(a.exactMatch()), AttackCommand.sim(a)));
        }
        return sb.toString();
    }

    static String tsv(List<Row> rows) {
        var sb = new StringBuilder("scheme\tsetting\tattack\tprompt_tra\tprompt_em\tprompt_sim\tanswer_tra\tanswer_em\tanswer_sim\n");
        for (Row r : rows) {
            Scores p = r.result().prompt(), a = r.result().answer();
            sb.append(String.join("\t", r.scheme(), r.setting(), r.result().attack(), num(p.tra()), num(p.exactMatch()), num(p.similarity()),
                    num(a.tra()), num(a.exactMatch()), num(a.similarity()))).append('\n');
        }
        return sb.toString();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6f", v);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
