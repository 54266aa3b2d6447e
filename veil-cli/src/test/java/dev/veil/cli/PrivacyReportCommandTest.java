package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.node.SchemeParams;
import dev.veil.node.SchemeType;
import dev.veil.node.Schemes;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `veil privacy-report` on a tiny sweep: the table and the plots it writes. */
class PrivacyReportCommandTest {
    @TempDir Path dir;

    /** Two victim prompts, the second longer than a prefill chunk (128 rows); the attacker's text is SST-2's. */
    private Path dataset() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        String longReview = "an unflinchingly bleak and desperate film , yet it is also a charming and often affecting journey ".repeat(4);
        Files.writeString(data.resolve("test.tsv"), "sentence\tlabel\nit 's a charming and often affecting journey .\t1\n" + longReview + "\t0\n");
        Files.copy(Shared.path("data/sst2/train.tsv"), data.resolve("train.tsv"));
        return data;
    }

    @Test
    void smallSweepWritesTableAndPlots() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        AttackCommandTest.run("privacy-report", "--model", Shared.storiesBin().toString(), "--dataset", dataset().toString(),
                "--prompts", "2", "--answer-tokens", "4", "--train-sentences", "10", "--epochs", "1", "--hidden", "16", "--inversion-steps", "0",
                "--no-similarity", "--m", "1/4,3/4", "--numeric", "z32", "--epsilon", "1,inf", "--schemes", "remo,cmif,shares", "--out", out.toString(),
                "--cost-tokens", "2", "--cost-runs", "1", "--repetition", "1,5", "--repetition-sentences", "1");
        var rows = Files.readAllLines(out.resolve("privacy-report.tsv"));
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("remo-z32\tm/d=3/4\tnull-space\t1.000000\t")), String.join("\n", rows));
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("cmif-rnm\tε=inf\tnn-inversion\t1.000000\t")), String.join("\n", rows)); // ε = ∞ sanitizes nothing
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("plain\t-\tvocab-matching\t1.000000\t")), String.join("\n", rows));
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("shares\tA and B colluding\tvocab-matching\t1.000000\t")), String.join("\n", rows));
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("shares\tserver A alone\tvocab-matching\t0.")), String.join("\n", rows));
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("shares\tserver B alone\tvocab-matching\t0.")), String.join("\n", rows));
        for (String plot : new String[] {"tra-vs-m-z32", "tra-vs-m-z32-answers", "tra-vs-epsilon", "tra-vs-epsilon-answers"}) {
            assertTrue(Files.readString(out.resolve(plot + ".svg")).startsWith("<svg"), plot);
            assertEquals(720, ImageIO.read(out.resolve(plot + ".png").toFile()).getWidth(), plot);
        }
        assertTrue(Files.readString(out.resolve("privacy-report.md")).startsWith("| scheme | setting | attack |"));

        // the frontier: one point per registered scheme (from the registry), each with its trust assumption, and its plot
        var frontier = Files.readAllLines(out.resolve("frontier.md")).stream().skip(2).toList();
        assertEquals(Schemes.types().stream().map(SchemeType::name).toList(),
                frontier.stream().map(r -> r.substring(2, r.indexOf(" ("))).toList(), String.join("\n", frontier));
        for (var type : Schemes.types()) {
            String row = frontier.stream().filter(r -> r.startsWith("| " + type.name() + " (")).findFirst().orElseThrow();
            String trust = Schemes.create(type.name(), new SchemeParams(Map.of(), Map.of("corpus",
                    Shared.path("data/sst2/train.tsv").toString()))).trust();
            // cmif's cell opens with the share of the prompt the server received verbatim, then ε and what it covers
            String opens = type.name().equals("cmif") ? "\\d+% of prompt tokens sent verbatim \\(\\d+ of \\d+\\); " : "";
            assertTrue(row.matches(".* \\| " + opens + java.util.regex.Pattern.quote(trust) + ".*"), row);
        }
        assertTrue(frontier.stream().anyMatch(r -> r.startsWith("| remo (") && r.contains("| 100.00% (null-space")), String.join("\n", frontier));
        assertTrue(frontier.stream().anyMatch(r -> r.startsWith("| shares (") && r.contains("@A) | 100.00% |")
                || r.startsWith("| shares (") && r.contains("@B) | 100.00% |")), String.join("\n", frontier));
        assertTrue(frontier.stream().anyMatch(r -> r.startsWith("| cmif (") && r.contains("privacy spend:")), String.join("\n", frontier));
        // the vote over repeated prompts, for every registered scheme: cmif's consistent draws give it nothing over one copy
        String report = Files.readString(out.resolve("privacy-report.md"));
        for (var type : Schemes.types()) {
            String name = type.name() + (type.name().equals("shares") ? "@A" : "");
            assertTrue(report.contains("\n| " + name + " | repeated |") && report.contains("\n| " + name + " | after varied openings |"),
                    "no repetition rows for " + name + ":\n" + report);
        }
        var cmifVote = java.util.regex.Pattern.compile("\\| cmif \\| (repeated|after varied openings) \\| (\\S+) \\| (\\S+) \\|")
                .matcher(report);
        for (int i = 0; i < 2; i++) {
            assertTrue(cmifVote.find(), report);
            assertEquals(cmifVote.group(2), cmifVote.group(3), cmifVote.group());
        }
        assertTrue(Files.readString(out.resolve("frontier.svg")).startsWith("<svg"));
        assertEquals(720, ImageIO.read(out.resolve("frontier.png").toFile()).getWidth());
    }
}
