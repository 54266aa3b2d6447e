package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.protocol.transport.RawHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service answers only its own origin (issue 22), over raw loopback sockets, as a web page's requests arrive: a
 * Host that is not the listener's (DNS rebinding), a foreign Origin, a CORS preflight and a body that is not declared
 * JSON are refused before anything else, and none of them starts a session; duplicate JSON keys are a 400.
 */
class CrossOriginTest {
    static final String BODY = "{\"model\": \"stories260K.bin\", \"prompt\": \"Once\", \"max_tokens\": 3, \"temperature\": 0}";
    @TempDir static Path dir;
    static TestService t;
    static String own;

    @BeforeAll
    static void start() throws Exception {
        Path keys = dir.resolve("keys");
        Files.writeString(keys, LimitsTest.KEY + "\n");
        t = TestService.allowing(List.of("veil.test", "veil.example:9443"), ApiKeys.read(keys), "plain");
        own = "127.0.0.1:" + t.service.port();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static RawHttp post(String body, String... headers) throws Exception {
        return RawHttp.send(t.service.port(), "POST", "/v1/completions", body, headers);
    }

    /** The answer is an OpenAI error with {@code code}, and sends no CORS header; returns its message. */
    static String refused(RawHttp r, int status, String code) throws Exception {
        assertEquals(status, r.status(), r.body());
        JsonNode error = TestService.JSON.readTree(r.body()).get("error");
        assertEquals(code, error.get("code").asText(), r.body());
        assertTrue(r.headers().stream().noneMatch(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("access-control-")), r.headers()
                .toString());
        return error.get("message").asText();
    }

    @Test
    void aForeignHostIsMisdirectedBeforeTheKeyIsAsked() throws Exception {
        long before = t.service.counters()[0];
        int port = t.service.port();
        // a rebinding name (the attacker's, resolved to 127.0.0.1), with the page's own Origin, as the browser sends them
        String message = refused(post(BODY, "Host", "rebound.example:" + port, "Origin", "http://rebound.example:" + port,
                "Content-Type", "application/json", "Authorization", "Bearer " + LimitsTest.KEY), 421, "misdirected_request");
        assertEquals("Host 'rebound.example:" + port + "' is not a name this server answers to (a guard against DNS rebinding; the "
                + "operator may add names with --allowed-host).", message);
        refused(post(BODY, "Host", "rebound.example:" + port, "Content-Type", "text/plain"), 421, "misdirected_request");
        for (String host : List.of("127.0.0.1:" + (port + 1), "127.0.0.1", "veil.test:9443", "localhost.:" + port, "10.0.0.1:" + port)) {
            refused(RawHttp.send(port, "GET", "/v1/models", null, "Host", host), 421, "misdirected_request");
        }
        refused(RawHttp.send(port, "GET", "/", null, "Host", "rebound.example:" + port), 421, "misdirected_request"); // the page too
        assertEquals(before, t.service.counters()[0], "no session started");
    }

    @Test
    void theListenersOwnNamesAndTheAllowedOnesAreServed() throws Exception {
        int port = t.service.port();
        for (String host : List.of(own, "localhost:" + port, "LocalHost:" + port, "[::1]:" + port, "veil.test:" + port,
                "veil.example:9443")) {
            var r = RawHttp.send(port, "GET", "/v1/models", null, "Host", host, "Authorization", "Bearer " + LimitsTest.KEY);
            assertEquals(200, r.status(), host + ": " + r.body());
        }
        var page = RawHttp.send(port, "GET", "/", null, "Host", "localhost:" + port);
        assertEquals(200, page.status());
        var same = post(BODY, "Host", "localhost:" + port, "Origin", "http://localhost:" + port, "Content-Type",
                "application/json; charset=UTF-8", "Authorization", "Bearer " + LimitsTest.KEY);
        assertEquals(200, same.status(), same.body());
        assertNull(same.header("Access-Control-Allow-Origin"));
        var allowed = post(BODY, "Host", "veil.test:" + port, "Origin", "http://veil.test:" + port, "Content-Type",
                "application/json", "Authorization", "Bearer " + LimitsTest.KEY);
        assertEquals(200, allowed.status(), allowed.body());
    }

    @Test
    void aForeignOriginAndAPreflightAreRefused() throws Exception {
        long before = t.service.counters()[0];
        String key = "Bearer " + LimitsTest.KEY;
        for (String origin : List.of("http://evil.example", "http://evil.example:" + t.service.port(), "null", "https://" + own,
                "http://127.0.0.1:" + (t.service.port() + 1))) {
            String message = refused(post(BODY, "Host", own, "Origin", origin, "Content-Type", "application/json", "Authorization", key),
                    403, "cross_origin_refused");
            assertEquals("Cross-origin requests are refused: Origin '" + origin + "' is not this server's own origin.", message);
            refused(RawHttp.send(t.service.port(), "GET", "/v1/models", null, "Host", own, "Origin", origin, "Authorization", key), 403,
                    "cross_origin_refused");
        }
        var preflight = RawHttp.send(t.service.port(), "OPTIONS", "/v1/completions", null, "Host", own, "Origin", "http://evil.example",
                "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,authorization");
        refused(preflight, 403, "cross_origin_refused");
        assertEquals(before, t.service.counters()[0], "no session started");
    }

    @Test
    void aBodyNotDeclaredJsonIs415() throws Exception {
        long before = t.service.counters()[0];
        String key = "Bearer " + LimitsTest.KEY;
        for (String type : List.of("text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x")) {
            String message = refused(post(BODY, "Host", own, "Content-Type", type, "Authorization", key), 415, "unsupported_media_type");
            assertEquals("The request body must be JSON, sent with 'Content-Type: application/json', not '" + type + "'.", message);
        }
        refused(post(BODY, "Host", own, "Authorization", key), 415, "unsupported_media_type");
        assertEquals(before, t.service.counters()[0], "no session started");
    }

    @Test
    void aKeyTwiceIsA400NamingIt() throws Exception {
        long before = t.service.counters()[0];
        for (String[] body : new String[][] {
                {"prompt", "{\"model\": \"stories260K.bin\", \"prompt\": \"Once\", \"max_tokens\": 3, \"prompt\": \"Lily\"}"},
                {"model", "{\"model\": \"other\", \"prompt\": \"Once\", \"model\": \"stories260K.bin\"}"},
                {"scheme", "{\"model\": \"stories260K.bin\", \"prompt\": \"Once\", "
                        + "\"veil\": {\"scheme\": \"plain\", \"scheme\": \"x\"}}"}}) {
            var r = post(body[1], "Host", own, "Content-Type", "application/json", "Authorization", "Bearer " + LimitsTest.KEY);
            assertEquals(400, r.status(), r.body());
            JsonNode error = TestService.JSON.readTree(r.body()).get("error");
            assertEquals(body[0], error.get("param").asText(), r.body());
            assertEquals("The request body names the field '" + body[0] + "' twice.", error.get("message").asText());
        }
        assertEquals(before, t.service.counters()[0], "no session started");
    }
}
