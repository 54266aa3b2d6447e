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
        assertEquals(0, run("bench", "--model", stories(), "--widths", "256,128", "--width-rounds", "2", "-p", "8", "-n", "4",
                "-r", "1", "--warmup", "0"), err);
        var line = Pattern.compile("^(128|256)-bit\\s+prefill ([0-9.]+), ([0-9.]+) t/s, decode ([0-9.]+), ([0-9.]+) t/s$",
                Pattern.MULTILINE).matcher(out);
        int widths = 0;
        while (line.find()) {
            widths++;
            for (int g = 2; g <= 5; g++) assertTrue(Double.parseDouble(line.group(g)) > 0, out);
        }
        assertEquals(2, widths, out);
        String ratios = "^256 / 128\\s+prefill [0-9.]+, [0-9.]+; [0-9.]+, decode [0-9.]+, [0-9.]+; [0-9.]+ \\(per round; median\\)$";
        assertTrue(Pattern.compile(ratios, Pattern.MULTILINE).matcher(out).find(), out);
        assertTrue(err.contains("round 2 of 2, 256-bit vectors"), err);
    }

    @Test
    void refusesWidthsItCannotCompare() {
        assertEquals(1, run("bench", "--model", stories(), "--widths", "256"), err);
        assertTrue(err.contains("--widths needs at least two different widths, e.g. 256,512"), err);
        assertEquals(1, run("bench", "--model", stories(), "--widths", "256,300"), err);
        assertTrue(err.contains("--widths takes 128, 256 and 512, got 300"), err);
        assertEquals(1, run("bench", "--model", stories(), "--mode", "remo", "--widths", "256,512"), err);
        assertTrue(err.contains("--widths runs the plain bench only"), err);
    }

    @Test
    void reportsSpeedsBandwidthBoundRatioAndPeakMemory() {
        assertEquals(0, run("bench", "--model", stories(), "-p", "16", "-n", "8", "-r", "2", "--warmup", "1",
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

    @Test
    void badInputGivesOneLineErrors() {
        assertEquals(1, run("bench", "--model", "no-such-model.gguf"));
        assertTrue(err.startsWith("veil: model file not found"), err);
        assertEquals(1, run("bench", "--model", stories(), "-p", "1000"));
        assertTrue(err.contains("exceeds the model's context of 512"), err);
        assertEquals(1, run("bench", "--model", stories(), "-r", "0"));
        assertEquals(1, err.strip().lines().count(), err);
    }
}
