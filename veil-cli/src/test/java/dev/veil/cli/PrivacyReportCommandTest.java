package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `veil privacy-report` on a tiny sweep: the table and the plots it writes. */
class PrivacyReportCommandTest {
    @TempDir Path dir;

    @Test
    void smallSweepWritesTableAndPlots() throws Exception {
        AttackCommandTest.run("privacy-report", "--model", Shared.storiesBin().toString(), "--dataset", Shared.path("data/sst2").toString(),
                "--prompts", "2", "--answer-tokens", "4", "--train-sentences", "10", "--epochs", "1", "--hidden", "16", "--inversion-steps", "0",
                "--no-similarity", "--m", "1/4,3/4", "--numeric", "z32", "--epsilon", "1,inf", "--schemes", "remo,cmif", "--out", dir.toString());
        var rows = Files.readAllLines(dir.resolve("privacy-report.tsv"));
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("remo-z32\tm/d=3/4\tnull-space\t1.000000\t")), String.join("\n", rows));
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("cmif-rnm\tε=inf\tnn-inversion\t1.000000\t")), String.join("\n", rows)); // ε = ∞ sanitizes nothing
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("plain\t-\tvocab-matching\t1.000000\t")), String.join("\n", rows));
        for (String plot : new String[] {"tra-vs-m-z32", "tra-vs-m-z32-answers", "tra-vs-epsilon", "tra-vs-epsilon-answers"}) {
            assertTrue(Files.readString(dir.resolve(plot + ".svg")).startsWith("<svg"), plot);
            assertEquals(720, ImageIO.read(dir.resolve(plot + ".png").toFile()).getWidth(), plot);
        }
        assertTrue(Files.readString(dir.resolve("privacy-report.md")).startsWith("| scheme | setting | attack |"));
    }
}
