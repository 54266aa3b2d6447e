package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * veil bench load, short: 16 sessions of every served scheme at once over mutual TLS, every answer as when run alone.
 * Each session asks for two answers however long they take ({@code --duration 0 --answers 2}): a loaded machine makes
 * the run slower, never emptier.
 */
@Timeout(600) // bounds a hang only; the run ends on its count of answers
class LoadBenchTest {
    @BeforeAll
    static void sharedData() {
        System.setProperty("veil.shared", Shared.root().toString()); // CMIF's default token-frequency corpus, as ./veil sets it
    }

    @Test
    void sixteenMixedSessionsGetTheirSingleSessionAnswers() {
        var run = CliRun.of("bench", "load", "--model", Shared.storiesBin().toString(),
                "--sessions", "16", "--duration", "0", "--answers", "2", "-n", "8");
        String o = run.out();
        assertEquals(0, run.code(), o + run.err());
        var answers = Pattern.compile("answers +(\\d+), 0 differ from their single-session answer, 0 sessions failed").matcher(o);
        assertTrue(answers.find(), o);
        assertEquals(32, Integer.parseInt(answers.group(1)), "every session answered twice: " + o);
        assertTrue(o.contains("latency          p50 ") && o.contains("; 0 CMIF sessions left open"), o);
    }
}
