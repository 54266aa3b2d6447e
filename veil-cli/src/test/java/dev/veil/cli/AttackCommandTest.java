package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.node.SchemeType;
import dev.veil.node.Schemes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** `veil attack` end to end on a few SST-2 prompts: the table, and the TRA lines that end its output. */
class AttackCommandTest {
    static String[] run(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        PrintStream savedOut = System.out, savedErr = System.err;
        int rc;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Main.run(args);
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8).strip().split("\n");
    }

    static String[] small(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("attack", "--model", Shared.storiesBin().toString(),
                "--dataset", Shared.path("data/sst2").toString(), "--prompts", "3", "--answer-tokens", "6", "--train-sentences", "30",
                "--epochs", "2", "--hidden", "32", "--inversion-steps", "30", "--no-similarity"));
        args.addAll(Arrays.asList(extra));
        return args.toArray(String[]::new);
    }

    static java.util.stream.Stream<String> schemes() {
        return Schemes.types().stream().map(SchemeType::name);
    }

    /**
     * Every registered scheme under the default victim workload (50 SST-2 prompts of 24 answer tokens; some prompts run
     * their prefill in several chunks), against a small attacker: every sequence reaches the lab whole.
     */
    @ParameterizedTest
    @MethodSource("schemes")
    void everySchemeRunsTheDefaultVictimWorkload(String scheme) {
        String[] lines = run("attack", "--scheme", scheme, "--model", Shared.storiesBin().toString(), "--dataset",
                Shared.path("data/sst2").toString(), "--train-sentences", "20", "--epochs", "1", "--hidden", "16",
                "--inversion-steps", "0", "--no-similarity");
        String all = String.join("\n", lines);
        assertTrue(all.contains("scheme " + scheme + ": 50 victim sequences") || all.contains("scheme " + scheme + " ("), all);
        assertTrue(all.contains(" transcript cuts 50 of 50 exactly"), all); // one sequence at a time: the server can tell them apart
        assertTrue(lines[lines.length - 1].matches("TRA [a-z-]+(@[AB+]+)? prompt=\\d+\\.\\d\\d% answer=\\d+\\.\\d\\d%"), all);
        if (scheme.equals("plain")) assertTrue(all.contains("\nTRA vocab-matching prompt=100.00% answer=100.00%"), all);
    }

    /**
     * The repetition vote (issue 23): with fresh draws per request the server's vote over copies of a prompt climbs
     * (the issue measured 68.6% of prompt tokens for one copy, 95.2% for seven); under cmif's default consistent draws
     * every copy is the same, so the vote over any number of copies recovers what one copy gives, repeats and paraphrases.
     */
    @Test
    void cmifsConsistentDrawsLeaveTheRepetitionVoteNothingToGain() {
        String[] lines = run(small("--scheme", "cmif", "--draws-window", "1", "--repetition", "1,4,9", "--repetition-sentences", "3"));
        var vote = java.util.regex.Pattern.compile(
                "TRA repetition-vote(-paraphrases)? cmif prompt: copies 1 (\\S+), copies 4 (\\S+), copies 9 (\\S+)");
        int found = 0;
        for (String l : lines) {
            var m = vote.matcher(l);
            if (!m.matches()) continue;
            found++;
            assertEquals(m.group(2), m.group(3), l);
            assertEquals(m.group(2), m.group(4), l);
        }
        assertEquals(2, found, String.join("\n", lines));
        String fresh = String.join("\n", run(small("--scheme", "cmif", "--draws", "fresh", "--repetition", "1,9",
                "--repetition-sentences", "3")));
        var m = java.util.regex.Pattern.compile("TRA repetition-vote cmif prompt: copies 1 ([0-9.]+)%, copies 9 ([0-9.]+)%").matcher(fresh);
        assertTrue(m.find(), fresh);
        assertTrue(Double.parseDouble(m.group(2)) > Double.parseDouble(m.group(1)), "fresh draws: the vote gains: " + m.group());
    }

    @Test
    void plainEndsWithOneTraLinePerAttack() {
        String[] lines = run(small("--scheme", "plain"));
        List<String> tail = Arrays.asList(lines).subList(lines.length - 4, lines.length);
        for (String l : tail) assertTrue(l.matches("TRA [a-z-]+ prompt=\\d+\\.\\d\\d% answer=\\d+\\.\\d\\d%"), l);
        assertEquals("TRA vocab-matching prompt=100.00% answer=100.00%", tail.get(1));
        assertTrue(tail.get(0).startsWith("TRA frequency-prior "), tail.get(0));
        assertTrue(tail.get(3).startsWith("TRA inversion "), tail.get(3));
    }

    @Test
    void sharesHideThePromptFromEachServerAloneButNotFromBothJoined() {
        String[] lines = run(small("--scheme", "shares"));
        String all = String.join("\n", lines);
        assertTrue(all.contains("\nTRA vocab-matching@A+B prompt=100.00% answer=100.00%"), all); // colluding servers add the shares
        var m = java.util.regex.Pattern.compile("\nTRA vocab-matching@([AB]) prompt=([\\d.]+)% answer=([\\d.]+)%").matcher(all);
        int alone = 0;
        for (; m.find(); alone++) {
            assertTrue(Double.parseDouble(m.group(2)) < 10 && Double.parseDouble(m.group(3)) < 10,
                    m.group()); // uniform rows: nothing to match
        }
        assertEquals(2, alone, all);
        assertTrue(lines[lines.length - 1].matches("TRA inversion@B prompt=\\d+\\.\\d\\d% answer=\\d+\\.\\d\\d%"),
                all); // ends with server B's lines
    }

    @Test
    void remoOnTheRealSplitRuntimeFallsToTheNullSpaceAttack() {
        String[] lines = run(small("--scheme", "remo", "--m", "3/4", "--numeric", "z32"));
        String all = String.join("\n", lines);
        assertTrue(all.contains("\nTRA null-space prompt=100.00% answer=100.00%"), all);
        assertTrue(all.contains("\nTRA null-space-token-infer "), all);
        assertTrue(lines[lines.length - 1].startsWith("TRA inversion "), all); // over a ring it can only fit the raw rows
    }

    @Test
    void cmifLeavesAnswersOnTheServer() {
        String all = String.join("\n", run(small("--scheme", "cmif", "--epsilon", "2")));
        assertTrue(all.contains("\nTRA nn-inversion prompt="), all);
        assertTrue(all.contains("\nTRA hidden-state prompt="), all);
        assertTrue(all.matches("(?s).*\nTRA nn-inversion prompt=[\\d.]+% answer=100\\.00%.*"), all);
        assertTrue(all.matches("(?s).*\nTRA hidden-state prompt=[\\d.]+% answer=100\\.00%.*"), all);
    }

    @Test
    void oneTimePadsLeaveNaiveMatchingNothing() {
        String[] lines = run(small("--scheme", "remo-otp", "--numeric", "z32"));
        String all = String.join("\n", lines);
        var m = java.util.regex.Pattern.compile("\nTRA vocab-matching prompt=([\\d.]+)%").matcher(all);
        assertTrue(m.find(), all);
        assertTrue(Double.parseDouble(m.group(1)) < 20, all);
        assertTrue(!all.contains("null-space"), all);
    }

    @Test
    void badSchemeIsAOneLineError() {
        var err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(1, Main.run(small("--scheme", "magic")));
            assertEquals(1, Main.run(small("--scheme", "remo", "--m", "2.5")));
        } finally {
            System.setErr(saved);
        }
        String[] lines = err.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(2, lines.length, String.join("\n", lines));
        assertTrue(lines[0].startsWith("veil: unknown scheme 'magic'"), lines[0]);
        assertTrue(lines[1].startsWith("veil: --m must be a fraction"), lines[1]);
    }
}
