package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.engine.Shared;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.ModelLoader;
import dev.veil.protocol.transport.Tls;
import dev.veil.trust.CodeMeasurement;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `veil weights-server`, `veil serve --tls-dir --attestation simulated` (the node, attested to the weights server) and
 * `veil proxy` as three processes with keys from `veil keys`, every link mutual TLS 1.3: a plain HTTP client on loopback
 * gets the plain engine's greedy text through the proxy; the CLI's refusals are one line.
 */
@Timeout(240)
class ProxyProcessesTest {
    /** Starts a process and waits for the stderr line that starts with {@code ready}; returns what follows "ready on ". */
    private static String ready(Process p, String ready, StringBuilder log) throws Exception {
        var err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        for (String line; (line = err.readLine()) != null; ) {
            log.append(line).append('\n');
            if (line.startsWith(ready)) {
                Thread.ofVirtual().start(() -> err.lines().forEach(l -> log.append(l).append('\n'))); // keep draining
                String rest = line.substring(ready.length());
                return rest.substring(0, rest.indexOf(' '));
            }
        }
        throw new AssertionError("the process ended before it was ready:\n" + log);
    }

    @Test
    void anAppThroughTheProxyGetsTheGreedyTextFromAnAttestedServe(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys"), policy = dir.resolve("policy.properties");
        // the node's certificate names node.test too: serve answers to it (a client that dials it sends it as its Host)
        assertEquals(0, CliRun.of("keys", "--out", keys.toString(), "--host", "localhost", "--host", "127.0.0.1", "--host", "node.test")
                .code());
        // serve runs this class path: its simulated measurement is this one
        Files.writeString(policy, "measurement = " + HexFormat.of().formatHex(CodeMeasurement.ofClassPath()) + "\n");
        String model = Shared.storiesBin().toString();
        // three processes: an attesting weights server, serve (the node) attested to it, and the client's proxy
        var started = WeightsServerProcess.start(TalariaProcessesTest.veil("weights-server", "--model", model, "--port", "0", "--tls-dir",
                keys.resolve("weights-server").toString(), "--attestation-policy", policy.toString(), "--allow-simulated-attestation"),
                dir.resolve("weights.log"));
        Process weights = started.process();
        String listening = started.address();
        assertTrue(listening.startsWith("127.0.0.1:"), "weights server said " + listening);
        String address = "localhost:" + listening.substring("127.0.0.1:".length());
        Process serve = TalariaProcessesTest.veil("serve", "--model", model, "--port", "0", "--tls-dir", keys.resolve("node").toString(),
                "--attestation", "simulated", "--weights-server", address).start();
        Process proxy = null;
        var serveLog = new StringBuilder();
        try {
            String url = ready(serve, "veil serve: ready on ", serveLog); // https://127.0.0.1:PORT
            assertTrue(url.startsWith("https://127.0.0.1:"), serveLog.toString());
            assertTrue(serveLog.toString().contains("veil serve: weights server " + address + " accepted SIMULATED attestation"),
                    serveLog.toString());
            String node = url.replace("127.0.0.1", "localhost");

            var refused = CliRun.of("proxy", "--node", node, "--policy", policy.toString(), "--tls-dir", keys.resolve("proxy").toString(),
                    "--port", "0");
            assertEquals(1, refused.code());
            assertEquals("veil: proxy: " + node + " refused: SIMULATED attestation refused (start the verifier with "
                    + "--allow-simulated-attestation to accept it)", refused.err().strip().lines().reduce((a, b) -> b).orElseThrow());

            proxy = TalariaProcessesTest.veil("proxy", "--node", node, "--policy", policy.toString(), "--tls-dir",
                    keys.resolve("proxy").toString(), "--port", "0", "--allow-simulated-attestation", "--allowed-host", "veil.test")
                    .start();
            var proxyLog = new StringBuilder();
            String local = ready(proxy, "veil proxy: ready on ", proxyLog); // http://127.0.0.1:PORT/v1
            int proxyPort = URI.create(local).getPort(), servePort = URI.create(url).getPort();
            for (String host : List.of("127.0.0.1:", "localhost:", "veil.test:", "rebound.test:")) {
                var s = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
                assertEquals(host.startsWith("rebound") ? 421 : 200, ServeContractTest.hostStatus(s, host + proxyPort), host);
            }
            var tls = Tls.context(keys.resolve("proxy"), Files.readString(keys.resolve("proxy").resolve(Tls.PASSWORD_FILE)).strip()
                    .toCharArray(), "node").getSocketFactory();
            for (String host : List.of("node.test:", "localhost:", "rebound.test:")) {
                var s = tls.createSocket(InetAddress.getLoopbackAddress(), servePort);
                assertEquals(host.startsWith("rebound") ? 421 : 200, ServeContractTest.hostStatus(s, host + servePort), host);
            }
            assertTrue(proxyLog.toString().contains("attested: SIMULATED attestation (proves nothing)"), proxyLog.toString());

            String body = "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily\", \"temperature\": 0, \"max_tokens\": 30}";
            try (var http = HttpClient.newHttpClient()) {
                var r = http.send(HttpRequest.newBuilder(URI.create(local + "/completions")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                String text = new ObjectMapper().readTree(r.body()).path("choices").path(0).path("text").asText();
                var m = ModelLoader.load(Shared.storiesBin(), null);
                int[] input = SamplingOptions.input(m.tokenizer(), "Lily");
                int[] plain = new Generator(m, new LocalLinearOps(m.config(), m.linear())).generate(input, 30, Sampler.greedy(), t -> {});
                assertEquals(m.tokenizer().decode(input[input.length - 1], plain).strip(), text.strip());
                // plain HTTP to serve's TLS port gets no answer
                assertTrue(assertThrowsIo(() -> http.send(HttpRequest.newBuilder(URI.create(url.replace("https", "http") + "/v1/models"))
                        .build(), HttpResponse.BodyHandlers.ofString())));
            }
        } finally {
            if (proxy != null) proxy.destroy();
            serve.destroy();
            weights.destroy();
            assertTrue(serve.waitFor(30, TimeUnit.SECONDS));
            assertTrue(weights.waitFor(30, TimeUnit.SECONDS));
            if (proxy != null) assertTrue(proxy.waitFor(30, TimeUnit.SECONDS));
        }
    }

    private interface Io {
        void run() throws Exception;
    }

    private static boolean assertThrowsIo(Io io) {
        try {
            io.run();
            return false;
        } catch (java.io.IOException e) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void misconfigurationsAreOneLineErrors(@TempDir Path dir) throws Exception {
        String model = Shared.storiesBin().toString();
        Path keys = Files.writeString(dir.resolve("keys"), "a-client-key-of-some-length\n");
        for (List<String> args : List.of(
                List.of("serve", "--model", model, "--attestation", "simulated",
                        "veil: --attestation binds the evidence to serve's TLS key: give --tls-dir DIR"),
                List.of("serve", "--model", model, "--host", "0.0.0.0", "--api-keys", keys.toString(),
                        "veil: 0.0.0.0 is not a loopback address: give --tls-dir DIR"),
                List.of("proxy", "--node", "https://localhost:1", "--policy", "p", "veil: veil proxy needs --tls-dir DIR"),
                List.of("proxy", "--node", "http://localhost:1", "--policy", "p", "--tls-dir", "d", "veil: --node must be https://"))) {
            var run = CliRun.of(args.subList(0, args.size() - 1).toArray(String[]::new));
            assertEquals(1, run.code(), run.err());
            String text = run.err().strip();
            assertTrue(text.lines().reduce((a, b) -> b).orElseThrow().startsWith(args.getLast()), text);
            assertEquals(1, text.lines().filter(l -> l.startsWith("veil: ")).count(), text);
            assertTrue(text.lines().reduce((a, b) -> b).orElseThrow().startsWith("veil: "), text);
            assertTrue(!text.contains("\tat "), text);
        }
    }
}
