package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** veil bench remo on stories260K with tiny settings: every figure it promises is there and sane. */
class RemoBenchTest {
    @Test
    void reportsRatiosBytesSharesMemoryAndTheSweep() {
        var run = CliRun.of("bench", "remo", "--model", Shared.storiesBin().toString(), "-p", "8", "-n", "8", "-r", "1",
                    "--warmup", "0", "--numeric", "exact", "--sweep-m", "0.25,0.5");
        String o = run.out();
        assertEquals(0, run.code(), o);
        var decode = Pattern.compile("decode 8 +plain ([0-9.]+) tokens/s, remo ([0-9.]+) tokens/s: remo/plain ([0-9.]+) \\(([0-9.]+) per CPU-second\\); "
                + "([0-9.]+) KiB on the wire per token; same tokens: yes").matcher(o);
        assertTrue(decode.find(), o);
        // a decode step sends one row per matrix and gets one back: 21 calls of 8-byte elements, about 43 KiB
        assertEquals(43.4, Double.parseDouble(decode.group(5)), 0.5, o);
        for (String label : new String[] {"setup ", "prefill 8 ", "decode time ", "mask ", "restore ", "transport ", "server ", "memory ", "pools "}) {
            assertTrue(o.contains(label), "missing " + label + " in:\n" + o);
        }
        assertTrue(o.contains("0.2500") && o.contains("0.5000"), o);
    }
}
