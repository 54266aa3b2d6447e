package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** veil bench remo-otp on stories260K with tiny settings: every scheme's row, the precompute split, the batch sweep. */
@Timeout(120)
class OtpBenchTest {
    @Test
    void reportsTheNodesCpuPerTokenForEveryScheme() {
        var run = CliRun.of("bench", "remo-otp", "--model", Shared.storiesBin().toString(), "-n", "6", "-r", "1", "--warmup", "0",
                    "--m", "8", "--pool-rows", "8", "--pool-batch", "4", "--sweep-batch", "1,4");
        String o = run.out();
        assertEquals(0, run.code(), o);
        String number = "([0-9.]+)";
        for (String scheme : new String[] {"plain float", "plain exact", "remo m = 8"}) {
            assertTrue(Pattern.compile(Pattern.quote(scheme) + " +" + number + " +- +" + number).matcher(o).find(), scheme + " in:\n" + o);
        }
        var otp = Pattern.compile("remo-otp +" + number + " +" + number + " +" + number + " +" + number + " +" + number + " +" + number
                + " +" + number + " +43\\.3 KiB").matcher(o); // the wire: one row per matrix each way
        assertTrue(otp.find(), o);
        double total = Double.parseDouble(otp.group(1)), precompute = Double.parseDouble(otp.group(2)), online = Double.parseDouble(otp.group(3));
        assertEquals(total, precompute + online, 0.011, o);
        assertTrue(o.contains("same tokens:         plain exact, remo and remo-otp yes"), o);
        assertTrue(o.contains("rows made on the spot in timed runs: 0; checks 126, faults 0"), o); // 6 tokens x 21 matrices
        assertTrue(o.contains("(4 to 4 rounds per matrix)"), o);
        assertTrue(Pattern.compile("(?m)^1 +" + number + " ").matcher(o).find() && Pattern.compile("(?m)^4 +" + number + " ").matcher(o).find(), o);
    }
}
