package dev.veil.cli.cmif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.cli.Main;
import dev.veil.engine.Shared;
import dev.veil.node.cmif.GloVe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `veil utility` end to end on a slice of SST-2 (the full table is a CLI run, documented in docs/cmif.md). */
class UtilityCommandTest {
    @TempDir Path dir;

    @Test
    void smallRunWritesTableAndPlots() throws Exception {
        // not a skip: without GloVe this test would pass having tested nothing (./mvnw test installs it: bin/test-deps.sh)
        assertTrue(Files.isRegularFile(GloVe.defaultPath()), "GloVe not installed at " + GloVe.defaultPath() + ": run bin/test-deps.sh");
        String shared = Shared.root().toString();
        var out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int rc;
        System.setProperty("veil.shared", shared);
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            rc = Main.run("utility", "--train-limit", "800", "--epsilon", "2,inf", "--seed", "1", "--cost-requests", "3",
                    "--cost-tokens", "4", "--out", dir.toString(), "--cache", dir.resolve("cache").toString());
        } finally {
            System.setOut(saved);
        }
        assertEquals(0, rc);
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("| ε | rnm | santext+ | custext+ | em |"), table);
        // The every-pair exponential mechanism is measured in the same run, beside RNM.
        assertTrue(table.lines().anyMatch(l -> l.startsWith("| 2 |") && l.split("\\|").length == 6), table);
        assertTrue(table.contains("| ∞ | "), table);
        assertTrue(Files.readString(dir.resolve("utility.svg")).startsWith("<svg"));
        var png = ImageIO.read(dir.resolve("utility.png").toFile());
        assertEquals(720, png.getWidth());
        // The clean ceiling of a real classifier is far above chance, and sanitizing costs accuracy.
        var rows = Files.readAllLines(dir.resolve("utility.tsv"));
        double clean = Double.parseDouble(rows.get(2).split("\t")[2]), rnm2 = Double.parseDouble(rows.get(1).split("\t")[2]);
        assertTrue(clean > 0.6, "clean accuracy " + clean);
        assertTrue(rnm2 < clean, "RNM at ε 2 should lose accuracy: " + rnm2 + " vs " + clean);
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        var err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(1, Main.run("utility", "--sanitizer", "magic", "--out", dir.toString()));
            assertEquals(1, Main.run("utility", "--epsilon", "-1", "--out", dir.toString()));
            assertEquals(1, Main.run("utility", "--delta", "0.1", "--out", dir.toString()));
        } finally {
            System.setErr(saved);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("veil: unknown sanitizer 'magic'"), text);
        assertTrue(text.contains("veil: ε must be positive"), text);
        assertTrue(text.contains("veil: Δ must be at least 1"), text);
        assertTrue(!text.contains("at dev.veil"), "no stack traces: " + text);
    }
}
