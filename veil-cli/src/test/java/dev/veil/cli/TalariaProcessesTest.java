package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.protocol.transcript.TranscriptReader;
import dev.veil.trust.CodeMeasurement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `veil weights-server` and `veil node` as two processes over mutual TLS with (simulated) attestation, the
 * refusals of nodes that do not qualify, and the CLI's one-line errors.
 */
@Timeout(120)
class TalariaProcessesTest {
    static ProcessBuilder veil(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "dev.veil.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    @Test
    @Timeout(300) // two processes and three refused nodes; slow only on a loaded machine
    void attestedNodeAndWeightsServerProcessesGenerateThePlainTextOverMutualTls(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys"), transcript = dir.resolve("t.veiltr"), policy = dir.resolve("policy.properties");
        var made = CliRun.of("keys", "--out", keys.toString());
        assertEquals(0, made.code(), made.err());
        // the node process runs this class path: its simulated measurement is this one
        Files.writeString(policy, "measurement = " + HexFormat.of().formatHex(CodeMeasurement.ofClassPath()) + "\n");
        String model = Shared.storiesBin().toString();

        var serverBuilder = veil("weights-server", "--model", model, "--port", "0", "--tls-dir", keys.resolve("weights-server").toString(),
                "--attestation-policy", policy.toString(), "--allow-simulated-attestation", "--transcript", transcript.toString());
        var started = WeightsServerProcess.start(serverBuilder, dir.resolve("server.log"));
        Process server = started.process();
        try {
            String address = started.address();
            assertTrue(address.startsWith("127.0.0.1:"), address);

            var nodeBuilder = veil("node", "--scheme", "remo", "--model", model, "--weights-server", address, "--tls-dir", keys.resolve("node").toString(),
                    "--attestation", "simulated", "--numeric", "exact", "--m-fraction", "0.25", "--prompt", "Lily and Ben", "--max-tokens", "30");
            Process node = nodeBuilder.redirectError(dir.resolve("node.log").toFile()).start();
            String text = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(node.waitFor(60, TimeUnit.SECONDS));
            String nodeLog = Files.readString(dir.resolve("node.log"));
            assertEquals(0, node.exitValue(), nodeLog);
            assertTrue(nodeLog.contains("veil node: weights server " + address + " accepted SIMULATED attestation (proves nothing)"),
                    nodeLog);

            var m = ModelLoader.load(Shared.storiesBin(), null);
            int[] input = SamplingOptions.input(m.tokenizer(), "Lily and Ben");
            int[] plain = new Generator(m, Numeric.Z64.plain(m.config(), m.linear())).generate(input, 30, Sampler.greedy(), t -> {});
            assertEquals(m.tokenizer().decode(input[input.length - 1], plain).strip(), text.strip());

            // refused, each with one line: a node that does not attest, the proxy's identity, a plaintext node
            for (String[] args : new String[][] {
                    {"--tls-dir", keys.resolve("node").toString()},
                    {"--tls-dir", keys.resolve("proxy").toString(), "--attestation", "simulated"},
                    {}}) {
                var cmd = new ArrayList<>(List.of("node", "--model", model, "--weights-server", address, "--prompt", "x", "--max-tokens", "2"));
                cmd.addAll(List.of(args));
                var run = CliRun.of(cmd.toArray(String[]::new));
                assertEquals(1, run.code(), run.err());
                String last = run.err().strip().lines().reduce((a, b) -> b).orElse("");
                assertTrue(last.startsWith("veil: "), run.err());
                assertEquals("", run.out());
            }
        } finally {
            server.destroy(); // SIGTERM: the shutdown hook closes the transcript
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
        String log = String.join("\n", started.lines());
        // accepting SIMULATED evidence is no attestation: said at start and at the greeting (issue 22)
        assertTrue(log.contains("over mutual TLS 1.3, NOT ATTESTED: SIMULATED evidence accepted"), log);
        assertTrue(log.contains("NOT attested, its SIMULATED evidence accepted: SIMULATED attestation (proves nothing)"), log);
        assertTrue(log.contains("greeted: NOT ATTESTED (SIMULATED evidence accepted by --allow-simulated-attestation)"), log);
        var t = TranscriptReader.readAll(transcript);
        assertEquals(21, t.publicBases().size()); // only the attested node's calls reached the weights
        assertEquals(21 * 30, t.linearCalls().size()); // one prefill and 29 decode steps, each 5 layers x 4 matrices + LM head
    }

    @Test
    void cliErrorsAreOneLine() {
        String model = Shared.storiesBin().toString();
        for (String[] args : new String[][] {
                {"node", "--model", model, "--weights-server", "nohost", "--prompt", "x"},
                {"node", "--model", model, "--weights-server", "127.0.0.1:1", "--prompt", "x"},
                {"generate", "--model", model, "--scheme", "magic"},
                {"generate", "--model", model, "--scheme", "remo", "--numeric", "float64"},
                {"generate", "--model", model, "--scheme", "remo", "--m-fraction", "1.5"},
                {"bench", "remo", "--model", model, "--m", "0"},
                {"node", "--model", model, "--weights-server", "192.0.2.1:7070", "--prompt", "x"}, // plaintext beyond loopback
                {"weights-server", "--model", model, "--host", "0.0.0.0", "--port", "0"},
                {"weights-server", "--model", model, "--port", "0", "--attestation-policy", "p"}, // attestation needs TLS
                {"keys", "--out", model}}) {
            var err = new java.io.ByteArrayOutputStream();
            var saved = System.err;
            int code;
            try {
                System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
                code = Main.run(args);
            } finally {
                System.setErr(saved);
            }
            String text = err.toString(StandardCharsets.UTF_8).strip();
            assertEquals(1, code, text);
            // one error line; startup lines ("veil node: no --tls-dir: ...") may precede it
            assertEquals(1, text.lines().filter(l -> l.startsWith("veil: ")).count(), text);
            assertTrue(text.lines().reduce((a, b) -> b).orElseThrow().startsWith("veil: "), text);
            assertTrue(text.lines().allMatch(l -> l.startsWith("veil")), text);
        }
    }
}
