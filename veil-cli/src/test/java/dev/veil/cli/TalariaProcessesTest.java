package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.protocol.transcript.TranscriptReader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `veil weights-server` and `veil node` as two processes over TLS on loopback, and the CLI's one-line errors. */
@Timeout(120)
class TalariaProcessesTest {
    static ProcessBuilder veil(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "dev.veil.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    @Test
    void nodeAndWeightsServerProcessesGenerateThePlainTextOverTls(@TempDir Path dir) throws Exception {
        Path ks = dir.resolve("server.p12"), trust = dir.resolve("trust.p12"), cert = dir.resolve("server.cer"), transcript = dir.resolve("t.veiltr");
        keytool("-genkeypair", "-alias", "veil", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", "secret");
        keytool("-exportcert", "-alias", "veil", "-keystore", ks.toString(), "-storepass", "secret", "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "veil", "-file", cert.toString(), "-storetype", "PKCS12", "-keystore", trust.toString(), "-storepass", "secret");
        String model = Shared.storiesBin().toString();

        var serverBuilder = veil("weights-server", "--model", model, "--port", "0", "--tls-keystore", ks.toString(), "--transcript", transcript.toString());
        serverBuilder.environment().put("VEIL_TLS_PASSWORD", "secret");
        Process server = serverBuilder.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String listening = new BufferedReader(new InputStreamReader(server.getInputStream())).readLine();
            assertTrue(listening != null && listening.startsWith("listening on 127.0.0.1:"), "server said " + listening);
            String address = listening.substring("listening on ".length());

            var nodeBuilder = veil("node", "--scheme", "remo", "--model", model, "--weights-server", address, "--tls-truststore", trust.toString(),
                    "--numeric", "exact", "--m-fraction", "0.25", "--prompt", "Lily and Ben", "--max-tokens", "30");
            nodeBuilder.environment().put("VEIL_TLS_PASSWORD", "secret");
            Process node = nodeBuilder.redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String text = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(node.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, node.exitValue(), text);

            var m = ModelLoader.load(Shared.storiesBin(), null);
            int[] input = SamplingOptions.input(m.tokenizer(), "Lily and Ben");
            int[] plain = new Generator(m, Numeric.Z64.plain(m.config(), m.linear())).generate(input, 30, Sampler.greedy(), t -> {});
            assertEquals(m.tokenizer().decode(input[input.length - 1], plain).strip(), text.strip());
        } finally {
            server.destroy(); // SIGTERM: the shutdown hook closes the transcript
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
        var t = TranscriptReader.readAll(transcript);
        assertEquals(21, t.publicBases().size());
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
                {"bench", "--model", model, "--mode", "remo", "--m", "0"}}) {
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
            assertEquals(1, text.lines().count(), text);
            assertTrue(text.startsWith("veil: "), text);
        }
    }

    static void keytool(String... args) throws Exception {
        var cmd = new ArrayList<String>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        var p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
    }
}
