package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
import dev.veil.engine.Shared;
import dev.veil.protocol.Message;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.Tls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weights server fails closed on trust (issue 22): a node certificate alone proves nothing (`veil keys` makes it
 * outside any confidential VM), so a server that skips attestation would be a weight oracle for any holder of one.
 * It starts that way only when told to, and then says so at start, on every greeting and in /metrics.
 */
class WeightsServerTrustTest {
    static final String STORIES = Shared.storiesBin().toString();
    @TempDir static Path dir;
    static Path keys;

    @BeforeAll
    static void keys() {
        keys = dir.resolve("keys");
        assertEquals(0, CliRun.of("keys", "--out", keys.toString()).code());
    }

    static ProcessBuilder server(String... flags) {
        var args = new java.util.ArrayList<>(java.util.List.of("weights-server", "--model", STORIES, "--port", "0",
                "--exit-with", String.valueOf(ProcessHandle.current().pid())));
        args.addAll(java.util.List.of(flags));
        return TalariaProcessesTest.veil(args.toArray(String[]::new));
    }

    /** What a server started with {@code flags} said as it refused to start (a process: one that starts fails the test, not hangs it). */
    static String refusal(String... flags) {
        var refused = assertThrows(AssertionError.class,
                () -> WeightsServerProcess.start(server(flags), Files.createTempFile(dir, "s", ".log")).process().destroy());
        return refused.getMessage();
    }

    @Test
    void aTlsServerWithoutAPolicyRefusesToStart() {
        String said = refusal("--tls-dir", keys.resolve("weights-server").toString());
        assertTrue(said.contains("veil: --tls-dir without --attestation-policy would serve the weights to any holder of a node certificate:"
                + " give --attestation-policy FILE (docs/trust.md), or --no-attestation"), said);
    }

    @Test
    void flagsThatWouldDropACheckAreRefused() {
        String said = refusal("--host", "0.0.0.0", "--insecure-plaintext");
        assertTrue(said.contains("veil: plaintext beyond loopback serves the weights to anyone who can connect: give --tls-dir DIR and"
                + " --attestation-policy FILE, or --no-attestation as well"), said);
        said = refusal("--tls-dir", keys.resolve("weights-server").toString(), "--attestation-policy", "p", "--no-attestation");
        assertTrue(said.contains("veil: --no-attestation contradicts --attestation-policy: give one of them"), said);
    }

    @Test
    void servingUnattestedNodesIsSaidAtStartOnEveryGreetingAndInMetrics() throws Exception {
        var started = WeightsServerProcess.start(server("--tls-dir", keys.resolve("weights-server").toString(), "--no-attestation",
                "--metrics-port", "0"), dir.resolve("b.log"));
        try {
            String log = Files.readString(started.log());
            assertTrue(log.contains("veil weights-server: WARNING: NO ATTESTATION: --no-attestation: any holder of a node certificate can"
                    + " read the weights"), log);
            assertTrue(log.contains(", NOT ATTESTED (--no-attestation: any holder of a node certificate can read the weights)"), log);
            // a raw client holding only the node certificate is served: the operator chose that, and is told at each greeting
            char[] password = Files.readString(keys.resolve("node").resolve("password")).strip().toCharArray();
            String[] hostPort = started.address().split(":");
            for (int i = 0; i < 2; i++) {
                try (var ch = TcpChannel.connect(hostPort[0], Integer.parseInt(hostPort[1]),
                        Tls.context(keys.resolve("node"), password, "weights-server"), Duration.ofSeconds(30))) {
                    assertTrue(ch.exchange(new Message.Hello("stories260K.bin")) instanceof Message.Welcome);
                }
            }
            Eventually.until("two greetings logged as NOT ATTESTED", () -> lines(started).stream().filter(l -> l.endsWith(
                    "greeted: NOT ATTESTED (--no-attestation: any holder of a node certificate can read the weights)")).count() == 2);
            var m = Pattern.compile("metrics on (http://\\S+/metrics)").matcher(Files.readString(started.log()));
            assertTrue(m.find());
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(m.group(1))).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("\nveil_attestation_enforced 0\n"), metrics);
            assertTrue(metrics.contains("\nveil_peers_unattested_total 2\n"), metrics);
            assertTrue(metrics.contains("veil_calls_total{type=\"HELLO\"} 2"), metrics);
        } finally {
            started.process().destroy();
        }
    }

    private static java.util.List<String> lines(WeightsServerProcess p) {
        try {
            return p.lines();
        } catch (java.io.IOException e) {
            return java.util.List.of(e.toString());
        }
    }
}
