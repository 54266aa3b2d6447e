package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** `veil bench engines`: one table row per matrix, numeric mode and call class, each ring product checked first. */
@Timeout(300)
class EnginesBenchTest {
    @Test
    void tablesEveryCallClassOfEveryMode() {
        var run = CliRun.of("bench", "engines", "--model", Shared.storiesBin().toString(), "-r", "1",
                "--warmup", "0");
        assertEquals(0, run.code(), run.err());
        List<String> rows = run.out().lines().filter(l -> l.startsWith("| ATTN_OUT[0] |") || l.startsWith("| FFN_DOWN[0] |")).toList();
        assertEquals(2 * 3 * 3, rows.size(), run.out()); // 2 matrices × float, z32, z64 × 1, 16, 128 rows
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("| FFN_DOWN[0] | 64 × 172 | z64 | 128 |")), run.out());
        // No --threads: this JVM's kernel pool may already run (one per process), and the bench times both engines on its size.
        assertTrue(run.out().matches("(?s)veil bench engines: \\d+ threads? each \\(Java kernels; onnxruntime 1\\.23\\.2.*"), run.out());
        for (String r : rows) assertTrue(r.matches(".*\\| \\d+\\.\\d\\d×; \\d+\\.\\d\\d× \\|$"), r);
    }

    @Test
    void rowsOfChoiceAnotherRingGraphAndTheRoutedEngine() {
        var run = CliRun.of("bench", "engines", "--model", Shared.storiesBin().toString(), "-r", "1", "--warmup", "0", "--rows", "1,40",
                "--ring-graph", "int8");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("| matrix | out × in | numeric | rows | Java | ORT, int8 graph | ORT, f64 graph | routed |"),
                run.out());
        assertTrue(run.out().contains("routed: java kernels below the threshold"), run.out());
        assertEquals(2 * 3 * 2, run.out().lines().filter(l -> l.startsWith("| ATTN_OUT[0] |") || l.startsWith("| FFN_DOWN[0] |")).count());
    }
}
