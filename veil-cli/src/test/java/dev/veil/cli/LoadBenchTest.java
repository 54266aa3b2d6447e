package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** veil bench --mode load, short: 16 sessions of every served scheme at once over mutual TLS, every answer as when run alone. */
@Timeout(120)
class LoadBenchTest {
    @BeforeAll
    static void sharedData() {
        System.setProperty("veil.shared", Shared.root().toString()); // CMIF's default token-frequency corpus, as ./veil sets it
    }

    @Test
    void sixteenMixedSessionsGetTheirSingleSessionAnswers() {
        var run = CliRun.of("bench", "--mode", "load", "--model", Shared.storiesBin().toString(),
                "--sessions", "16", "--duration", "3", "-n", "8");
        String o = run.out();
        assertEquals(0, run.code(), o + run.err());
        var answers = Pattern.compile("answers +(\\d+), 0 differ from their single-session answer, 0 sessions failed").matcher(o);
        assertTrue(answers.find(), o);
        assertTrue(Integer.parseInt(answers.group(1)) >= 16, "every session answered at least once: " + o);
        assertTrue(o.contains("latency          p50 ") && o.contains("; 0 CMIF sessions left open"), o);
    }
}
