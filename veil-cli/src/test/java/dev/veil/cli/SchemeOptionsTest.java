package dev.veil.cli;

import static dev.veil.cli.UsageErrorsTest.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The schemes' own options as the commands offer them: from the registry, one per name, and the benches by mode. */
class SchemeOptionsTest {
    private static String usage(String command) {
        var run = CliRun.of(command, "--help");
        assertEquals(0, run.code(), run.err());
        return run.out().replaceAll("\\s+", " ");
    }

    @Test
    void anOptionSeveralSchemesTakeIsOneSayingWhatItSetsForEach() {
        String generate = usage("generate");
        assertTrue(generate.contains("--scheme=NAME plain, remo-otp, remo, cmif, shares (default: remo-otp)"), generate);
        assertTrue(generate.contains("--numeric=MODE plain, remo: float (default) or exact (ring Z_2^64) or z32; remo-otp, shares: "
                + "exact (default) or z32"), generate);
        assertTrue(generate.contains("--m, --m-fraction=M remo: rank of each public base"), generate);
        String report = usage("privacy-report");
        assertTrue(report.contains("--epsilon=ε cmif: ε values per token (default: 0.5,1,2,4,8,16)"), report);
        assertTrue(report.contains("--m=M remo: m as fractions of d_in"), report);
    }

    @Test
    void aBenchModeRefusesParametersNoneOfItsSchemesTakes() {
        assertOneLine("veil: --epsilon does not apply to --scheme remo",
                "bench", "hostile", "--model", "m.gguf", "--epsilon", "1");
        assertOneLine("veil: --epsilon does not apply to --scheme remo, remo-otp, shares",
                "bench", "shares", "--model", "m.gguf", "--epsilon", "1");
        // a bench that runs no scheme takes no scheme option: picocli's own unknown-option error
        assertOneLine("veil: Unknown options: '--m', '1/8' (see 'veil bench plain --help')", "bench", "plain", "--model", "m.gguf", "--m",
                "1/8");
        assertOneLine("veil: Unknown options: '--m', '1/8' (see 'veil bench load --help')", "bench", "load", "--model", "m.gguf", "--m",
                "1/8");
        assertOneLine("veil: Unmatched arguments from index 1: 'fast', '--model', 'm.gguf' (see 'veil bench --help')",
                "bench", "fast", "--model", "m.gguf");
        assertOneLine("veil: Missing required subcommand (see 'veil bench --help')", "bench");
    }
}
