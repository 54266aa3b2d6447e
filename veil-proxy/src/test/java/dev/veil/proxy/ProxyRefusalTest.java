package dev.veil.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.engine.Eventually;
import dev.veil.keys.Role;
import dev.veil.protocol.transport.TestPki;
import dev.veil.service.VeilService;
import dev.veil.trust.AttestationException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the proxy refuses, each with its one-line reason, over real sockets: the node is a real {@code veil serve}
 * with SIMULATED evidence, and the attackers hold certificates of the same deployment.
 */
class ProxyRefusalTest {
    @TempDir static Path dir;
    static Deployment d;
    static VeilService serve;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        d = new Deployment(dir);
        serve = d.serve(d.node, Deployment.simulated(Deployment.MEASUREMENT), 0);
    }

    @AfterAll
    static void stop() throws Exception {
        d.close();
    }

    private static String refusal(AttestedNode node) {
        return assertThrows(AttestationException.class, node::verify).getMessage();
    }

    @Test
    void acceptsTheHonestNode() {
        var log = new CopyOnWriteArrayList<String>();
        var pinned = d.attested(serve.port(), Deployment.verifier(true, Deployment.MEASUREMENT), log).verify();
        assertTrue(pinned.summary().startsWith("SIMULATED"), pinned.summary());
    }

    @Test
    void refusesSimulatedEvidenceWithoutTheFlag() {
        var node = d.attested(serve.port(), Deployment.verifier(false, Deployment.MEASUREMENT), new CopyOnWriteArrayList<>());
        assertTrue(refusal(node).startsWith("SIMULATED attestation refused"));
        var proxy = new VerifyingProxy(node, 1 << 20, 4, Duration.ofSeconds(10), s -> {});
        assertThrows(AttestationException.class, () -> proxy.start("127.0.0.1", 0), "the proxy does not start");
    }

    @Test
    void refusesAMeasurementNotInThePolicy() {
        var node = d.attested(serve.port(), Deployment.verifier(true, Deployment.filled(0x11)), new CopyOnWriteArrayList<>());
        assertTrue(refusal(node).matches("measurement (5a){48} is not one the policy allows"), refusal(node));
    }

    @Test
    void refusesEvidenceBoundToAnotherKey() throws Exception {
        // A relay with a certificate of its own (same CA, role node) passes the honest node's evidence, made for the
        // relay's own request and nonce, on to the proxy: the evidence binds the honest node's key, not the relay's.
        var received = new CopyOnWriteArrayList<String>();
        Path relayIdentity = d.pki.role(Role.NODE, "relay", Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600));
        try (HttpClient toNode = Deployment.client(d.proxy)) {
            var relay = d.hostile(relayIdentity, 0, query -> {
                try {
                    return Deployment.get(toNode, Deployment.url(serve.port()) + "/v1/attestation?" + query).body();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, received);
            var node = d.attested(relay.getAddress().getPort(), Deployment.verifier(true, Deployment.MEASUREMENT),
                    new CopyOnWriteArrayList<>());
            assertEquals("the evidence is bound to another TLS key, not this connection's", refusal(node));
        }
        assertEquals(List.of(), received);
    }

    @Test
    void refusesAReplayedNonce() throws Exception {
        // The node's own key (a stolen copy of its identity) answering with evidence recorded earlier for another nonce.
        String recorded;
        try (HttpClient c = Deployment.client(d.proxy)) {
            recorded = Deployment.get(c, Deployment.url(serve.port()) + "/v1/attestation?nonce=" + "ab".repeat(32)).body();
        }
        var replayer = d.hostile(d.node, 0, query -> recorded, new CopyOnWriteArrayList<>());
        var node = d.attested(replayer.getAddress().getPort(), Deployment.verifier(true, Deployment.MEASUREMENT),
                new CopyOnWriteArrayList<>());
        assertEquals("the evidence carries a stale or foreign nonce", refusal(node));
    }

    @Test
    void refusesTamperedUserData() throws Exception {
        // The same, with REPORT_DATA's nonce half rewritten to the fresh nonce: the report's signature no longer verifies.
        String recorded;
        try (HttpClient c = Deployment.client(d.proxy)) {
            recorded = Deployment.get(c, Deployment.url(serve.port()) + "/v1/attestation?nonce=" + "ab".repeat(32)).body();
        }
        var replayer = d.hostile(d.node, 0, query -> {
            try {
                var o = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(recorded);
                byte[] report = java.util.Base64.getDecoder().decode(o.get("report").asText());
                byte[] nonce = java.util.HexFormat.of().parseHex(query.substring("nonce=".length()));
                System.arraycopy(nonce, 0, report, 0x50 + 32, 32);
                return o.put("report", java.util.Base64.getEncoder().encodeToString(report)).toString();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, new CopyOnWriteArrayList<>());
        var node = d.attested(replayer.getAddress().getPort(), Deployment.verifier(true, Deployment.MEASUREMENT),
                new CopyOnWriteArrayList<>());
        assertEquals("the report's signature does not verify", refusal(node));
    }

    @Test
    void refusesANodeCertificateFromAnotherCa() throws Exception {
        var other = new TestPki(dir.resolve("other-ca"));
        VeilService stranger = d.serve(other.role(Role.NODE), Deployment.simulated(Deployment.MEASUREMENT), 0);
        var node = d.attested(stranger.port(), Deployment.verifier(true, Deployment.MEASUREMENT), new CopyOnWriteArrayList<>());
        String why = refusal(node);
        assertTrue(why.startsWith("cannot fetch evidence from https://localhost:" + stranger.port() + ": "), why);
        assertTrue(why.contains(": TLS handshake failed: "), why);
    }

    @Test
    void serveRefusesAProxyCertificateFromAnotherCa() throws Exception {
        var other = new TestPki(dir.resolve("other-ca-2"));
        var node = new AttestedNode(URI.create(Deployment.url(serve.port())), other.role(Role.PROXY), TestPki.PASSWORD,
                Deployment.verifier(true, Deployment.MEASUREMENT), Duration.ofSeconds(10), s -> {});
        String why = refusal(node);
        assertTrue(why.startsWith("cannot fetch evidence from https://localhost:" + serve.port() + ": TLS handshake failed: "), why);
    }

    @Test
    void refusesAPlainHttpNode() {
        var e = assertThrows(IllegalArgumentException.class, () -> new AttestedNode(URI.create("http://localhost:1"), d.proxy,
                TestPki.PASSWORD, Deployment.verifier(true, Deployment.MEASUREMENT), Duration.ofSeconds(1), s -> {}));
        assertTrue(e.getMessage().contains("must be https://"), e.getMessage());
    }

    @Test
    void reverifiesWhenTheNodeKeyChangesAndSendsNothingToANodeThatFails() throws Exception {
        var log = new CopyOnWriteArrayList<String>();
        VeilService first = d.serve(d.node, Deployment.simulated(Deployment.MEASUREMENT), 0);
        int port = first.port();
        var node = d.attested(port, Deployment.verifier(true, Deployment.MEASUREMENT), log);
        try (var proxy = new VerifyingProxy(node, 1 << 20, 4, Duration.ofSeconds(60), log::add).start("127.0.0.1", 0);
             var app = HttpClient.newHttpClient()) {
            String local = "http://127.0.0.1:" + proxy.port() + "/v1/completions";
            String body = JSON.createObjectNode().put("model", Deployment.ID).put("prompt", "Lily").put("temperature", 0)
                    .put("max_tokens", 8).toString();
            var firstAnswer = Deployment.post(app, local, body);
            assertEquals(200, firstAnswer.statusCode(), firstAnswer.body());
            String firstKey = node.pinned().keyHash();

            // The node restarts with a new key (an honest one: same CA, same approved measurement).
            first.close();
            Path renewed = d.pki.role(Role.NODE, "node-renewed", Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600));
            VeilService second = d.serve(renewed, Deployment.simulated(Deployment.MEASUREMENT), port);
            var secondAnswer = postRetryingStaleConnection(app, local, body);
            assertEquals(200, secondAnswer.statusCode(), secondAnswer.body());
            assertEquals(text(firstAnswer), text(secondAnswer));
            assertTrue(!node.pinned().keyHash().equals(firstKey));
            assertTrue(log.stream().anyMatch(l -> l.contains("presents a TLS key other than the pinned sha256:" + firstKey)),
                    String.join("\n", log));

            // Then a relay with yet another key takes the port: it is refused, and never receives the prompt.
            second.close();
            var received = new CopyOnWriteArrayList<String>();
            Path relayIdentity = d.pki.role(Role.NODE, "relay-2", Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600));
            VeilService honest = d.serve(d.node, Deployment.simulated(Deployment.MEASUREMENT), 0);
            try (HttpClient toNode = Deployment.client(d.proxy)) {
                d.hostile(relayIdentity, port, query -> {
                    try {
                        return Deployment.get(toNode, Deployment.url(honest.port()) + "/v1/attestation?" + query).body();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, received);
                var refused = postRetryingStaleConnection(app, local, body);
                assertEquals(502, refused.statusCode(), refused.body());
                var error = JSON.readTree(refused.body()).path("error");
                assertEquals("attestation_failed", error.path("code").asText());
                assertTrue(error.path("message").asText().endsWith("the evidence is bound to another TLS key, not this connection's"));
                assertTrue(refused.body().lines().count() == 1);
            }
            assertEquals(List.of(), received, "the relay received nothing of the prompt");
            assertTrue(log.stream().anyMatch(l -> l.startsWith("veil proxy: refused POST /v1/completions: the evidence is bound")),
                    String.join("\n", log));
        }
    }

    /** The proxy's pooled connection to a node that just went away may fail once; a new request opens a new one. */
    private static HttpResponse<String> postRetryingStaleConnection(HttpClient app, String url, String body) throws Exception {
        HttpResponse<String> r = null;
        for (int i = 0; i < 3; i++) {
            r = Deployment.post(app, url, body);
            if (!(r.statusCode() == 502 && r.body().contains("node_unreachable"))) return r;
        }
        return r;
    }

    private static String text(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).path("choices").path(0).path("text").asText();
    }

    @Test
    void boundsWhatTheLocalAppSends() throws Exception {
        var node = d.attested(serve.port(), Deployment.verifier(true, Deployment.MEASUREMENT), new CopyOnWriteArrayList<>());
        try (var proxy = new VerifyingProxy(node, 1024, 1, Duration.ofSeconds(10), s -> {}).start("127.0.0.1", 0);
             var app = HttpClient.newHttpClient()) {
            String local = "http://127.0.0.1:" + proxy.port();
            var tooBig = Deployment.post(app, local + "/v1/completions", "x".repeat(2000));
            assertEquals(413, tooBig.statusCode());
            assertEquals("request_too_large", JSON.readTree(tooBig.body()).path("error").path("code").asText());
            var put = app.send(HttpRequest.newBuilder(URI.create(local + "/v1/models")).PUT(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, put.statusCode());
            // A slow app holds the one slot (headers sent, body still to come): the next request is turned away at once.
            try (var slow = new java.net.Socket("127.0.0.1", proxy.port())) {
                slow.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:" + proxy.port()
                        + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n").getBytes());
                slow.getOutputStream().flush();
                Eventually.until("the slow request holds the slot", () -> proxy.underWay() == 1);
                var busy = Deployment.get(app, local + "/v1/models");
                assertEquals(429, busy.statusCode(), busy.body());
                assertEquals("1", busy.headers().firstValue("Retry-After").orElseThrow());
            }
        }
    }
}
