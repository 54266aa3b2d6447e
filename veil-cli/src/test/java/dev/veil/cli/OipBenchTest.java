package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * veil bench oip on stories260K, tiny settings: every scheme over both protocols (OIP over the node's client, gRPC and the
 * JDK's), the same tokens, both figures.
 */
@Timeout(300)
class OipBenchTest {
    @Test
    void everySchemeRunsOverBothProtocolsWithTheSameTokens() {
        var run = CliRun.of("bench", "oip", "--model", Shared.storiesBin().toString(), "-n", "4", "-r", "1", "--warmup", "0");
        assertEquals(0, run.code(), run.err());
        var row = Pattern.compile("^\\| (remo \\(float\\)|remo \\(exact, Z_2\\^64\\)|remo-otp|shares) "
                + "\\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+x \\| [0-9.]+ \\| [0-9.]+x \\| [0-9.]+ \\| [0-9.]+x \\| "
                + "(\\d+) \\| (\\d+) \\| (\\d+) \\| (yes|NO) \\|$", Pattern.MULTILINE).matcher(run.out());
        int rows = 0;
        while (row.find()) {
            rows++;
            assertEquals("yes", row.group(5), row.group());
            assertTrue(Long.parseLong(row.group(4)) > 0, "gRPC's messages are counted: " + row.group());
            assertTrue(Long.parseLong(row.group(3)) > Long.parseLong(row.group(2)), "OIP's heads and JSON cost bytes: " + row.group());
        }
        assertEquals(4, rows, run.out());
        assertTrue(run.out().contains("OIP as a bare HTTP/1.1 exchange on one socket"), run.out());
        assertTrue(run.out().contains("OIP over the node's client (Http1)"), run.out());
        assertTrue(run.out().contains("OIP over gRPC (grpc-java)"), run.out());
        var jar = Pattern.compile("A gRPC client in the node would add ([0-9.]+) MiB compressed to its jar: "
                + "gRPC with Netty shaded ([0-9.]+) MiB").matcher(run.out());
        assertTrue(jar.find() && Double.parseDouble(jar.group(2)) > 1, run.out());
    }

    @Test
    void schemeOptionsAreRefused() {
        var run = CliRun.of("bench", "oip", "--model", Shared.storiesBin().toString(), "--m", "1/8");
        assertEquals(1, run.code());
        assertEquals("veil: Unknown options: '--m', '1/8' (see 'veil bench oip --help')", run.err().strip());
    }
}
