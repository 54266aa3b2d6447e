package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** veil bench on the real stories260K model, tiny settings; and its one-line errors. */
class BenchCommandTest {
    private String out = "", err = "";

    private int run(String... args) {
        var run = CliRun.of(args);
        out = run.out();
        err = run.err();
        return run.code();
    }

    private static String stories() {
        String root = System.getenv("VEIL_SHARED") != null ? System.getenv("VEIL_SHARED") : System.getenv("VEIL_SHARED_DEFAULT");
        return Path.of(root == null ? "../shared" : root, "models/stories260K/stories260K.bin").toString();
    }

    /** Each width in its own JVM (the width is fixed per JVM), so the rates differ per width and come back parsed. */
    @Test
    void runsEveryWidthAsAChildAndReportsTheRatios() {
        assertEquals(0, run("bench", "plain", "--model", stories(), "--widths", "256,128", "--width-rounds", "2", "-p", "8", "-n", "4",
                "-r", "1", "--warmup", "0"), err);
        var line = Pattern.compile("^(128|256)-bit\\s+prefill ([0-9.]+), ([0-9.]+) t/s, decode ([0-9.]+), ([0-9.]+) t/s$",
                Pattern.MULTILINE).matcher(out);
        var rates = new java.util.HashMap<String, double[]>();  // width -> prefill and decode of each round
        while (line.find()) {
            double[] r = new double[4];
            for (int g = 2; g <= 5; g++) r[g - 2] = Double.parseDouble(line.group(g));
            for (double v : r) assertTrue(v > 0, "a rate of each round, parsed from the child: " + out);
            rates.put(line.group(1), r);
        }
        assertEquals(java.util.Set.of("128", "256"), rates.keySet(), out);
        var ratios = Pattern.compile("^256 / 128\\s+prefill ([0-9.]+), ([0-9.]+); ([0-9.]+), decode ([0-9.]+), ([0-9.]+); ([0-9.]+) "
                + "\\(per round; median\\)$", Pattern.MULTILINE).matcher(out);
        assertTrue(ratios.find(), out);
        double[] wide = rates.get("256"), narrow = rates.get("128");
        int[] groups = {1, 2, 4, 5};  // prefill rounds 1, 2, decode rounds 1, 2: each the ratio of that round's rates
        for (int i = 0; i < 4; i++) {
            assertEquals(wide[i] / narrow[i], Double.parseDouble(ratios.group(groups[i])), 0.006 + 0.001 * wide[i] / narrow[i], out);
        }
        assertEquals((wide[0] / narrow[0] + wide[1] / narrow[1]) / 2, Double.parseDouble(ratios.group(3)), 0.02, "median of two: " + out);
        assertTrue(err.contains("round 2 of 2, 256-bit vectors"), err);
    }

    @Test
    void refusesWidthsItCannotCompare() {
        assertEquals(1, run("bench", "plain", "--model", stories(), "--widths", "256"), err);
        assertTrue(err.contains("--widths needs at least two different widths, e.g. 256,512"), err);
        assertEquals(1, run("bench", "plain", "--model", stories(), "--widths", "256,300"), err);
        assertTrue(err.contains("--widths takes 128, 256 and 512, got 300"), err);
        assertEquals(1, run("bench", "remo", "--model", stories(), "--widths", "256,512"), err);
        assertTrue(err.contains("Unknown options: '--widths', '256,512' (see 'veil bench remo --help')"), err);
    }

    @Test
    void reportsSpeedsBandwidthBoundRatioAndPeakMemory() {
        assertEquals(0, run("bench", "plain", "--model", stories(), "-p", "16", "-n", "8", "-r", "2", "--warmup", "1",
                "--bandwidth-mib", "64"), err);
        String o = out;
        for (String label : new String[] {"pp16", "tg8", "bandwidth", "decode bound", "decode/bound", "prefill/decode", "peak memory"}) {
            assertTrue(o.contains(label + " "), "missing " + label + " in:\n" + o);
        }
        var pp = Pattern.compile("pp16\\s+([0-9.]+) ± [0-9.]+ tokens/s").matcher(o);
        assertTrue(pp.find() && Double.parseDouble(pp.group(1)) > 0, o);
        var peak = Pattern.compile("peak memory\\s+([0-9.]+) MiB resident").matcher(o);
        assertTrue(peak.find() && Double.parseDouble(peak.group(1)) > 1.0, "VmHWM above the 1 MiB model file: " + o);
        assertTrue(err.contains("pp16 timed run 2"), err);
    }

    /** Talaria's Fig. 5 through veil serve: every registered scheme is benched (the registry, not a list that forgets one). */
    @Test
    void theServeBenchRunsEveryRegisteredScheme() {
        String saved = System.getProperty("veil.shared"); // cmif's default corpus, as ./veil finds it from the repository root
        System.setProperty("veil.shared", dev.veil.engine.Shared.root().toString());
        try {
            assertEquals(0, run("bench", "serve", "--model", stories(), "-n", "2", "-r", "1", "--clients", "1"), err);
        } finally {
            if (saved == null) System.clearProperty("veil.shared");
            else System.setProperty("veil.shared", saved);
        }
        for (var type : dev.veil.node.Schemes.types()) {
            assertTrue(out.contains("\n| " + type.name() + " | 1 | "), "no row for " + type.name() + " in:\n" + out);
        }
        assertTrue(out.contains("\n| isolated | 1 | "), out);
    }

    @Test
    void badInputGivesOneLineErrors() {
        assertEquals(1, run("bench", "plain", "--model", "no-such-model.gguf"));
        assertTrue(err.startsWith("veil: model file not found"), err);
        assertEquals(1, run("bench", "plain", "--model", stories(), "-p", "1000"));
        assertTrue(err.contains("exceeds the model's context of 512"), err);
        assertEquals(1, run("bench", "plain", "--model", stories(), "-r", "0"));
        assertEquals(1, err.strip().lines().count(), err);
    }
}
