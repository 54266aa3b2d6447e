package dev.veil.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.service.VeilService;
import dev.veil.trust.AttestationException;
import dev.veil.trust.EvidenceJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/attestation?nonce=HEX} on {@code veil serve} (the node's side of the client's check; tested here, where
 * the deployment's keys are at hand): evidence for the nonce and the key of the asking connection, and one-line 400s.
 */
class ServeAttestationTest {
    @TempDir static Path dir;
    static Deployment d;
    static VeilService serve;
    static HttpClient client;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        d = new Deployment(dir);
        serve = d.serve(d.node, Deployment.simulated(Deployment.MEASUREMENT), 0);
        client = Deployment.client(d.proxy);
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        d.close();
    }

    private static HttpResponse<String> attestation(String query) throws Exception {
        return Deployment.get(client, Deployment.url(serve.port()) + "/v1/attestation" + query);
    }

    @Test
    void evidenceBindsTheNonceAndThisConnectionsKeyAndSaysSimulated() throws Exception {
        byte[] nonce = new byte[32];
        new java.security.SecureRandom().nextBytes(nonce);
        var r = client.send(HttpRequest.newBuilder(URI.create(Deployment.url(serve.port()) + "/v1/attestation?nonce="
                + HexFormat.of().formatHex(nonce))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode o = JSON.readTree(r.body());
        assertEquals("simulated", o.path("kind").asText());
        assertTrue(o.path("warning").asText().startsWith("SIMULATED"), r.body());
        var key = r.sslSession().orElseThrow().getPeerCertificates()[0].getPublicKey();
        var evidence = EvidenceJson.read(r.body().getBytes(StandardCharsets.UTF_8));
        var verified = Deployment.verifier(true, Deployment.MEASUREMENT).verify(evidence, key, nonce);
        assertTrue(verified.simulated());
        byte[] other = nonce.clone();
        other[0] ^= 1;
        assertThrows(AttestationException.class, () -> Deployment.verifier(true, Deployment.MEASUREMENT).verify(evidence, key, other));
    }

    @Test
    void aBadNonceIsAOneLine400() throws Exception {
        for (String q : new String[] {"", "?nonce=", "?nonce=abc", "?nonce=" + "zz".repeat(32), "?nonce=" + "ab".repeat(31),
                "?nonce=" + "ab".repeat(33), "?nonce=" + "ab".repeat(100_000), "?other=1", "?nonce=" + "ab".repeat(32) + "&x=1"}) {
            var r = attestation(q);
            assertEquals(400, r.statusCode(), q.length() > 80 ? q.substring(0, 80) : q);
            JsonNode e = JSON.readTree(r.body()).path("error");
            assertEquals("nonce", e.path("param").asText(), r.body());
            assertEquals(1, r.body().lines().count());
        }
        var post = client.send(HttpRequest.newBuilder(URI.create(Deployment.url(serve.port()) + "/v1/attestation?nonce=" + "ab".repeat(32)))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }

    @Test
    void serveWithoutTlsHasNoKeyToBind() throws Exception {
        var m = Deployment.model();
        var scheme = dev.veil.node.Schemes.create("plain");
        try (var node = scheme.open(m, Deployment.ID, java.util.List.of());
             var plain = new VeilService(new VeilService.Config(m, Deployment.ID, Map.of("plain", node), null, 1, 1, 2,
                     null, 1 << 20, null)).attestation(Deployment.simulated(Deployment.MEASUREMENT))
                     .start("127.0.0.1", 0);
             var http = HttpClient.newHttpClient()) {
            var r = Deployment.get(http, "http://127.0.0.1:" + plain.port() + "/v1/attestation?nonce=" + "ab".repeat(32));
            assertEquals(404, r.statusCode());
            assertTrue(r.body().contains("--tls-dir"), r.body());
        }
    }

    @Test
    void overTlsServeAnswersOnlyDeploymentClients() throws Exception {
        // No client certificate: the handshake fails before HTTP (serve requires the proxy's certificate). In TLS 1.3 the
        // client may finish its side first and send the request, and then sees the connection close with no answer.
        var ctx = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
        var trust = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        var ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(d.proxy.resolve("trust.p12"))) {
            ks.load(in, dev.veil.protocol.transport.TestPki.PASSWORD);
        }
        trust.init(ks);
        ctx.init(null, trust.getTrustManagers(), null);
        try (var anonymous = HttpClient.newBuilder().sslContext(ctx).build()) {
            var e = assertThrows(IOException.class, () -> Deployment.get(anonymous, Deployment.url(serve.port()) + "/v1/models"));
            assertTrue(e instanceof SSLHandshakeException || e.getCause() instanceof SSLHandshakeException
                    || String.valueOf(e.getMessage()).contains("closed") || String.valueOf(e.getMessage()).contains("received no bytes"),
                    e.toString());
        }
        // Plaintext to the TLS port gets no HTTP answer.
        try (var http = HttpClient.newHttpClient()) {
            assertThrows(IOException.class, () -> Deployment.get(http, "http://localhost:" + serve.port() + "/v1/models"));
        }
    }
}
