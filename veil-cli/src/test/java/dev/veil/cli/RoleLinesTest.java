package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every line a role prints carries its prefix, and a line about where it listens says the address. */
class RoleLinesTest {
    static final String MODEL = Shared.storiesBin().toString();

    static void allPrefixed(String role, List<String> lines) {
        for (String line : lines) {
            assertTrue(line.startsWith("veil " + role + ": ") || line.startsWith("veil: "), role + " printed '" + line + "' in " + lines);
        }
    }

    @Test
    @Timeout(180)
    void weightsServerAndNodeLinesCarryTheirPrefix(@TempDir Path dir) throws Exception {
        Path stdout = dir.resolve("stdout");
        var started = WeightsServerProcess.start(TalariaProcessesTest.veil("weights-server", "--model", MODEL, "--port", "0",
                "--metrics-port", "0").redirectOutput(stdout.toFile()), dir.resolve("server.log"));
        Process server = started.process();
        try {
            String address = started.address();
            assertTrue(address.startsWith("127.0.0.1:") && Integer.parseInt(address.substring(10)) > 0, address);
            var node = TalariaProcessesTest.veil("node", "--model", MODEL, "--weights-server", address, "--prompt", "Lily",
                    "--max-tokens", "2").start();
            String text = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            List<String> nodeLines = new BufferedReader(new InputStreamReader(node.getErrorStream(), StandardCharsets.UTF_8)).lines()
                    .filter(l -> !l.startsWith(WeightsServerProcess.JVM_NOTICE)).toList();
            assertTrue(node.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, node.exitValue(), String.join("\n", nodeLines));
            assertEquals(" and T\n", text);
            allPrefixed("node", nodeLines);
            assertTrue(nodeLines.stream().anyMatch(l -> l.startsWith("veil node: [remo-otp: ") && l.contains(" calls (")),
                    nodeLines.toString());
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals("", Files.readString(stdout), "stdout");
        List<String> lines = started.lines();
        allPrefixed("weights-server", lines);
        assertTrue(lines.stream().anyMatch(l -> l.matches("veil weights-server: metrics on http://127\\.0\\.0\\.1:\\d+/metrics")),
                lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("veil weights-server: stopped after ")), lines.toString());
    }

    @Test
    @Timeout(180)
    void serveLinesCarryItsPrefix() throws Exception {
        Process serve = ServeContractTest.veil("serve", "--model", MODEL, "--port", "0", "--schemes", "plain,cmif").start();
        var err = new BufferedReader(new InputStreamReader(serve.getErrorStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        try {
            for (String line; (line = err.readLine()) != null; ) {
                if (line.startsWith(WeightsServerProcess.JVM_NOTICE)) continue;
                lines.add(line);
                if (line.contains(" ready on ")) break;
            }
        } finally {
            serve.destroy();
        }
        assertTrue(lines.getLast().matches("veil serve: ready on http://127\\.0\\.0\\.1:\\d+ .*"), lines.toString());
        allPrefixed("serve", lines);
    }
}
