package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** veil bench on the real stories260K model, tiny settings; and its one-line errors. */
class BenchCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    private PrintStream savedOut, savedErr;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(args);
    }

    private static String stories() {
        String root = System.getenv("VEIL_SHARED") != null ? System.getenv("VEIL_SHARED") : System.getenv("VEIL_SHARED_DEFAULT");
        return Path.of(root == null ? "../shared" : root, "models/stories260K/stories260K.bin").toString();
    }

    @Test
    void reportsSpeedsBandwidthBoundRatioAndPeakMemory() {
        assertEquals(0, run("bench", "--model", stories(), "-p", "16", "-n", "8", "-r", "2", "--warmup", "1",
                "--bandwidth-mib", "64"), err.toString());
        String o = out.toString();
        for (String label : new String[] {"pp16", "tg8", "bandwidth", "decode bound", "decode/bound", "prefill/decode", "peak memory"}) {
            assertTrue(o.contains(label + " "), "missing " + label + " in:\n" + o);
        }
        var pp = Pattern.compile("pp16\\s+([0-9.]+) ± [0-9.]+ tokens/s").matcher(o);
        assertTrue(pp.find() && Double.parseDouble(pp.group(1)) > 0, o);
        var peak = Pattern.compile("peak memory\\s+([0-9.]+) MiB resident").matcher(o);
        assertTrue(peak.find() && Double.parseDouble(peak.group(1)) > 1.0, "VmHWM above the 1 MiB model file: " + o);
        assertTrue(err.toString().contains("pp16 timed run 2"), err.toString());
    }

    @Test
    void badInputGivesOneLineErrors() {
        assertEquals(1, run("bench", "--model", "no-such-model.gguf"));
        assertTrue(err.toString().startsWith("veil: model file not found"), err.toString());
        assertEquals(1, run("bench", "--model", stories(), "-p", "1000"));
        assertTrue(err.toString().contains("exceeds the model's context of 512"), err.toString());
        assertEquals(1, run("bench", "--model", stories(), "-r", "0"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }
}
