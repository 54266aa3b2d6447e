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
