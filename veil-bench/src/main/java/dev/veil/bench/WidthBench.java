package dev.veil.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The plain bench at several vector widths in one run: the width is fixed per JVM ({@code -Dveil.vectorBits}), so
 * each width runs as a child {@code veil bench}, and the widths alternate round by round, so that a machine whose
 * speed drifts (a shared host) slows every width alike. Reports each width's prefill and decode rates and their
 * ratio to the widest width's in the same round.
 */
public final class WidthBench {
    private static final Pattern RATE = Pattern.compile("^(pp|tg)\\d+\\s+([0-9.]+) ± ", Pattern.MULTILINE);

    private final String main;
    private final List<Integer> widths;
    private final int rounds;
    private final List<String> benchArgs;

    /**
     * @param main the CLI's main class
     * @param benchArgs the child's {@code bench} options (model, test lengths, threads, ...), without widths
     */
    public WidthBench(String main, List<Integer> widths, int rounds, List<String> benchArgs) {
        for (int w : widths) {
            if (w != 128 && w != 256 && w != 512) throw new IllegalArgumentException("--widths takes 128, 256 and 512, got " + w);
        }
        if (widths.size() < 2 || widths.stream().distinct().count() != widths.size()) {
            throw new IllegalArgumentException("--widths needs at least two different widths, e.g. 256,512");
        }
        if (rounds < 1) throw new IllegalArgumentException("--width-rounds must be at least 1");
        this.main = main;
        this.widths = widths.stream().sorted().toList();
        this.rounds = rounds;
        this.benchArgs = benchArgs;
    }

    public int run(PrintStream out) throws IOException, InterruptedException {
        int n = widths.size(), widest = n - 1;
        double[][] pp = new double[n][rounds], tg = new double[n][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int w = 0; w < n; w++) {
                System.err.printf(Locale.ROOT, "veil bench: round %d of %d, %d-bit vectors...%n", round + 1, rounds, widths.get(w));
                double[] rates = child(widths.get(w));
                pp[w][round] = rates[0];
                tg[w][round] = rates[1];
            }
        }
        out.printf(Locale.ROOT, "widths           %s, %d rounds, each width a child JVM with -Dveil.vectorBits, alternated%n",
                widths, rounds);
        for (int w = 0; w < n; w++) {
            out.printf(Locale.ROOT, "%-16s prefill %s t/s, decode %s t/s%n", widths.get(w) + "-bit", list(pp[w]), list(tg[w]));
        }
        for (int w = 0; w < widest; w++) {
            out.printf(Locale.ROOT, "%-16s prefill %s, decode %s (per round; median)%n",
                    widths.get(widest) + " / " + widths.get(w), ratios(pp[widest], pp[w]), ratios(tg[widest], tg[w]));
        }
        return 0;
    }

    /** Prefill and decode tokens/s of one child run at {@code bits} (NaN where the child ran no such test). */
    private double[] child(int bits) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(ServerProcess.javaCommand());
        cmd.addAll(List.of("-Dveil.vectorBits=" + bits, "-cp", System.getProperty("java.class.path"), main, "bench"));
        cmd.addAll(benchArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Thread reaper = new Thread(p::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(reaper);
        try {
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                String[] lines = text.strip().split("\n");
                throw new IOException("the bench at " + bits + " bits failed: " + lines[lines.length - 1]);
            }
            double[] rates = {Double.NaN, Double.NaN};
            var m = RATE.matcher(text);
            while (m.find()) rates[m.group(1).equals("pp") ? 0 : 1] = Double.parseDouble(m.group(2));
            return rates;
        } finally {
            p.destroyForcibly();
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException e) {
                // shutting down: the hook runs anyway
            }
        }
    }

    private static String list(double[] v) {
        return String.join(", ", Arrays.stream(v).mapToObj(x -> String.format(Locale.ROOT, "%.2f", x)).toList());
    }

    /** wide[i] / narrow[i] for each round, then the median. */
    private static String ratios(double[] wide, double[] narrow) {
        double[] r = new double[wide.length];
        for (int i = 0; i < r.length; i++) r[i] = wide[i] / narrow[i];
        double[] sorted = r.clone();
        Arrays.sort(sorted);
        int h = sorted.length / 2;
        double median = sorted.length % 2 == 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
        return list(r) + "; " + String.format(Locale.ROOT, "%.2f", median);
    }
}
