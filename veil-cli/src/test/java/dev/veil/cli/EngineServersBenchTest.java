package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * `veil bench engine-servers`: remo in float, z32 and exact through a weights server per engine; the ring modes'
 * tokens are the Java engine's on every engine, and the routed server ran batches on both engines.
 */
@Timeout(300)
class EngineServersBenchTest {
    @Test
    void everyEngineEveryModeRingTokensAlike() {
        var run = CliRun.of("bench", "engine-servers", "--model", Shared.storiesBin().toString(), "-p", "40", "-n", "4", "-r", "1",
                "--warmup", "0");
        assertEquals(0, run.code(), run.err());
        List<String> rows = run.out().lines().filter(l -> l.startsWith("| remo ")).toList();
        assertEquals(3 * 3, rows.size(), run.out());
        for (String r : rows) {
            if (!r.startsWith("| remo float")) assertTrue(r.endsWith("| yes |"), r);
        }
        var routed = Pattern.compile("routed: (\\d+) batches \\(\\d+ rows\\) on java, (\\d+) batches \\(\\d+ rows\\) on onnxruntime")
                .matcher(run.out());
        assertTrue(routed.find(), run.out());
        assertTrue(Long.parseLong(routed.group(1)) > 0 && Long.parseLong(routed.group(2)) > 0, routed.group());
    }
}
