package dev.veil.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.transport.RawHttp;
import dev.veil.service.VeilService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy answers only its own origin (issue 22), over raw loopback sockets to a real proxy in front of a real
 * {@code veil serve}: a page of another site, or on a rebound name, cannot use the proxy (and so the user's deployment
 * identity); nothing it sends reaches the node.
 */
class ProxyCrossOriginTest {
    static final String BODY = "{\"model\": \"stories260K.bin\", \"prompt\": \"Once\", \"max_tokens\": 3, \"temperature\": 0}";
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> log = new CopyOnWriteArrayList<>();
    @TempDir static Path dir;
    static Deployment d;
    static VeilService serve;
    static VerifyingProxy proxy;
    static String own;

    @BeforeAll
    static void start() throws Exception {
        d = new Deployment(dir);
        serve = d.serve(d.node, Deployment.simulated(Deployment.MEASUREMENT), 0);
        var node = d.attested(serve.port(), Deployment.verifier(true, Deployment.MEASUREMENT), log);
        proxy = new VerifyingProxy(node, 1 << 20, 4, Duration.ofSeconds(60), log::add).allowHosts(List.of("veil.test"))
                .start("127.0.0.1", 0);
        own = "127.0.0.1:" + proxy.port();
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        d.close();
    }

    static RawHttp send(String method, String path, String body, String... headers) throws Exception {
        return RawHttp.send(proxy.port(), method, path, body, headers);
    }

    /** The proxy's own one-line error with {@code code}, no CORS header, nothing forwarded; returns its message. */
    static String refused(RawHttp r, int status, String code) throws Exception {
        assertEquals(status, r.status(), r.body());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals(code, error.get("code").asText(), r.body());
        assertEquals("veil_proxy_error", error.get("type").asText(), r.body());
        assertNull(r.header("Veil-Attestation"), "answered by the proxy, not the node");
        assertTrue(r.headers().stream().noneMatch(h -> h.toLowerCase(Locale.ROOT).startsWith("access-control-")), r.headers().toString());
        return error.get("message").asText();
    }

    @Test
    void aRebindingHostIsMisdirectedAndNothingReachesTheNode() throws Exception {
        long before = serve.counters()[0];
        String rebound = "rebound.example:" + proxy.port();
        String message = refused(send("POST", "/v1/completions", BODY, "Host", rebound, "Origin", "http://" + rebound, "Content-Type",
                "application/json"), 421, "misdirected_request");
        assertTrue(message.startsWith("Host '" + rebound + "' is not a name this server answers to"), message);
        refused(send("GET", "/", null, "Host", rebound), 421, "misdirected_request"); // the node's page, which the proxy passes on
        refused(send("GET", "/v1/models", null, "Host", "127.0.0.1:" + (proxy.port() + 1)), 421, "misdirected_request");
        assertEquals(before, serve.counters()[0], "no session started");
        assertTrue(log.stream().anyMatch(l -> l.startsWith("veil proxy: refused POST /v1/completions: Host '" + rebound + "'")),
                String.join("\n", log));
    }

    @Test
    void aForeignOriginAPreflightAndABodyNotDeclaredJsonAreRefused() throws Exception {
        long before = serve.counters()[0];
        for (String origin : List.of("http://evil.example", "null", "http://localhost:" + (proxy.port() + 1))) {
            refused(send("POST", "/v1/completions", BODY, "Host", own, "Origin", origin, "Content-Type", "text/plain"), 403,
                    "cross_origin_refused");
            refused(send("GET", "/v1/models", null, "Host", own, "Origin", origin), 403, "cross_origin_refused");
        }
        refused(send("OPTIONS", "/v1/completions", null, "Host", own, "Origin", "http://evil.example", "Access-Control-Request-Method",
                "POST"), 403, "cross_origin_refused");
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
            refused(send("POST", "/v1/completions", BODY, "Host", own, "Content-Type", type), 415, "unsupported_media_type");
        }
        refused(send("POST", "/v1/completions", BODY, "Host", own), 415, "unsupported_media_type");
        assertEquals(before, serve.counters()[0], "no session started");
    }

    @Test
    void aKeyTwiceIsTheNodes400() throws Exception {
        long before = serve.counters()[0];
        var r = send("POST", "/v1/completions", "{\"model\": \"stories260K.bin\", \"prompt\": \"Once\", \"prompt\": \"Lily\"}", "Host", own,
                "Content-Type", "application/json");
        assertEquals(400, r.status(), r.body());
        assertEquals("prompt", JSON.readTree(r.body()).at("/error/param").asText(), r.body());
        assertEquals(before, serve.counters()[0], "no session started");
    }

    @Test
    void itsOwnNamesAndTheAllowedOnesAreServed() throws Exception {
        int port = proxy.port();
        for (String host : List.of(own, "localhost:" + port, "[::1]:" + port, "veil.test:" + port)) {
            var r = send("GET", "/v1/models", null, "Host", host);
            assertEquals(200, r.status(), host + ": " + r.body());
            assertTrue(r.header("Veil-Attestation").startsWith("SIMULATED"), r.headers().toString());
        }
        assertEquals(200, send("GET", "/", null, "Host", "localhost:" + port).status(), "the node's page, through the proxy");
        var same = send("POST", "/v1/completions", BODY, "Host", "localhost:" + port, "Origin", "http://localhost:" + port,
                "Content-Type", "application/json; charset=utf-8");
        assertEquals(200, same.status(), same.body());
        assertNull(same.header("Access-Control-Allow-Origin"));
    }
}
