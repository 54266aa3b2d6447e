package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A usage error is one line, `veil: ...` with a pointer to --help, and exit code 1; never the whole usage text. */
class UsageErrorsTest {
    static void assertOneLine(String expected, String... args) {
        var run = CliRun.of(args);
        assertEquals(1, run.code(), run.err());
        assertEquals(expected, run.err().strip());
        assertEquals("", run.out());
    }

    @Test
    void badValuesUnknownOptionsAndMissingOnesAreOneLine() {
        assertOneLine("veil: Invalid value for option '--max-tokens': 'many' is not an int (see 'veil generate --help')",
                "generate", "--model", "m.gguf", "--max-tokens", "many");
        assertOneLine("veil: Unknown option: '--colour' (see 'veil demo --help')", "demo", "--colour");
        assertOneLine("veil: Missing required option: '--model=<model>' (see 'veil generate --help')", "generate");
    }

    @Test
    void aSchemeParameterThatDoesNotApplyIsOneLine() {
        assertOneLine("veil: --epsilon does not apply to --scheme remo",
                "generate", "--model", "m.gguf", "--scheme", "remo", "--epsilon", "1");
    }

    @Test
    void theCommandListGivesEveryCommandsWholeFirstSentence() {
        var run = CliRun.of("--help");
        assertEquals(0, run.code());
        // weights-server's description spans several lines in its source; the list must not stop mid-sentence
        String list = run.out().substring(run.out().indexOf("Commands:")).replaceAll("\\s+", " ");
        assertTrue(list.contains(" weights-server Serve a model's linear layers"), list);
        for (String line : list.split(" (?=(generate|bench|weights-server|node|demo|utility|attack|privacy-report) [A-Z])")) {
            if (!line.startsWith("Commands:")) assertTrue(line.strip().endsWith(".") || line.contains(" help "), line);
        }
    }
}
