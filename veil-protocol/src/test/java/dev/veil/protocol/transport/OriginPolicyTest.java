package dev.veil.protocol.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The rule itself, header by header; VeilService's and VerifyingProxy's tests drive it over sockets. */
class OriginPolicyTest {
    static final OriginPolicy LOOPBACK = OriginPolicy.of("http", new InetSocketAddress("127.0.0.1", 8080), "127.0.0.1",
            List.of("veil.test", "Veil.Example:9000", "::2"));

    /** The status a request with these headers (name, value, ...) gets, or 0 when it is served. */
    static int status(OriginPolicy p, String method, String... headers) {
        var map = new TreeMap<String, List<String>>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < headers.length; i += 2) {
            map.merge(headers[i], List.of(headers[i + 1]), (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).toList());
        }
        var r = p.check(method, map::get);
        return r == null ? 0 : r.status();
    }

    @Test
    void onLoopbackTheLoopbackNamesWithTheListenersPortAndTheAllowedNames() {
        for (String host : List.of("127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "[::1]:8080", "[0:0:0:0:0:0:0:1]:8080",
                "veil.test:8080", "veil.example:9000", "[::2]:8080")) {
            assertEquals(0, status(LOOPBACK, "GET", "Host", host), host);
        }
        for (String host : List.of("evil.example:8080", "127.0.0.1:8081", "127.0.0.1", "localhost", "veil.test:9000",
                "veil.example:8080", "localhost.:8080", "127.0.0.1.evil.example:8080", "[::1", "::1:8080", "127.0.0.1:80800",
                "localhost:0", "localhost:+80", "", "a b:8080")) {
            assertEquals(421, status(LOOPBACK, "GET", "Host", host), host);
        }
        assertEquals(421, status(LOOPBACK, "GET"), "no Host");
        assertEquals(421, status(LOOPBACK, "GET", "Host", "127.0.0.1:8080", "Host", "evil.example:8080"), "two Hosts");
        var misdirected = LOOPBACK.check("GET", Map.of("Host", List.of("rebound.example:8080"))::get);
        assertEquals("misdirected_request", misdirected.code());
        assertTrue(misdirected.message().startsWith("Host 'rebound.example:8080' is not a name this server answers to"),
                misdirected.message());
    }

    @Test
    void withoutAPortTheHostMeansTheSchemesDefault() {
        var https = OriginPolicy.of("https", new InetSocketAddress("127.0.0.1", 443), "localhost", List.of());
        assertEquals(0, status(https, "GET", "Host", "localhost"));
        assertEquals(0, status(https, "GET", "Host", "localhost", "Origin", "https://localhost"));
        assertEquals(0, status(https, "GET", "Host", "localhost:443", "Origin", "https://localhost:443"));
        assertEquals(403, status(https, "GET", "Host", "localhost", "Origin", "http://localhost"));
    }

    @Test
    void onAWildcardAddressEveryInterfaceAddress() throws Exception {
        var any = OriginPolicy.of("http", new InetSocketAddress("0.0.0.0", 8080), "0.0.0.0", List.of());
        for (InetAddress a : NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses).toList()) {
            String literal = a.getHostAddress().replaceAll("%.*", "");
            String host = literal.contains(":") ? "[" + literal + "]" : literal;
            assertEquals(0, status(any, "GET", "Host", host + ":8080"), host);
        }
        assertEquals(0, status(any, "GET", "Host", "localhost:8080"));
        assertEquals(421, status(any, "GET", "Host", "rebound.example:8080"));
    }

    @Test
    void anOriginMustBeTheListenersOwn() {
        String host = "127.0.0.1:8080";
        for (String origin : List.of("http://127.0.0.1:8080", "http://localhost:8080", "HTTP://LocalHost:8080", "http://veil.test:8080")) {
            assertEquals(0, status(LOOPBACK, "POST", "Host", host, "Origin", origin, "Content-Type", "application/json"), origin);
        }
        for (String origin : List.of("http://evil.example:8080", "https://127.0.0.1:8080", "http://127.0.0.1", "null",
                "http://127.0.0.1:8081", "http://127.0.0.1:8080/", "http://user@127.0.0.1:8080", "file://", "")) {
            assertEquals(403, status(LOOPBACK, "POST", "Host", host, "Origin", origin, "Content-Type", "application/json"), origin);
            assertEquals(403, status(LOOPBACK, "GET", "Host", host, "Origin", origin), origin);
        }
        assertEquals(403, status(LOOPBACK, "GET", "Host", host, "Origin", "http://127.0.0.1:8080", "Origin", "http://evil.example"));
    }

    @Test
    void noPreflightIsAnswered() {
        assertEquals(403, status(LOOPBACK, "OPTIONS", "Host", "127.0.0.1:8080", "Origin", "http://127.0.0.1:8080",
                "Access-Control-Request-Method", "POST"));
        assertEquals(0, status(LOOPBACK, "OPTIONS", "Host", "127.0.0.1:8080"), "a plain OPTIONS is the server's to answer (405)");
    }

    @Test
    void aPostBodyMustBeDeclaredJson() {
        for (String type : List.of("application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8",
                " application/json ")) {
            assertEquals(0, status(LOOPBACK, "POST", "Host", "localhost:8080", "Content-Type", type), type);
        }
        for (String type : List.of("text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x", "application/jsonp", "application/json-seq", "")) {
            assertEquals(415, status(LOOPBACK, "POST", "Host", "localhost:8080", "Content-Type", type), type);
        }
        assertEquals(415, status(LOOPBACK, "POST", "Host", "localhost:8080"), "none");
        assertEquals(0, status(LOOPBACK, "GET", "Host", "localhost:8080", "Content-Type", "text/plain"), "a GET has no body");
        var r = LOOPBACK.check("POST", Map.of("Host", List.of("localhost:8080"), "Content-Type", List.of("text/plain"))::get);
        assertEquals("The request body must be JSON, sent with 'Content-Type: application/json', not 'text/plain'.", r.message());
        assertEquals("unsupported_media_type", r.code());
    }

    @Test
    void theHostIsCheckedFirst() {
        assertEquals(421, status(LOOPBACK, "POST", "Host", "rebound.example:8080", "Origin", "http://rebound.example:8080",
                "Content-Type", "text/plain"));
        assertNull(LOOPBACK.check("GET", Map.of("Host", List.of("localhost:8080"))::get));
    }

    @Test
    void anAllowedHostMustBeNameAndPort() {
        for (String bad : List.of("evil:example:1", "name:0", "name:99999", "[::1", "")) {
            var e = assertThrows(IllegalArgumentException.class, () -> OriginPolicy.of("http", new InetSocketAddress("127.0.0.1", 1),
                    "127.0.0.1", List.of(bad)), bad);
            assertTrue(e.getMessage().startsWith("--allowed-host '" + bad + "'"), e.getMessage());
        }
        assertTrue(LOOPBACK.hosts().contains("veil.example:9000") && LOOPBACK.hosts().contains("[0:0:0:0:0:0:0:2]:8080"),
                LOOPBACK.hosts().toString().toLowerCase(Locale.ROOT));
    }
}
