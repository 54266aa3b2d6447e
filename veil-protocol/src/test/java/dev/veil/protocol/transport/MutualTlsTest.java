package dev.veil.protocol.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.keys.Role;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Mutual TLS 1.3 (issue 11): only a node with a certificate from the deployment's CA gets any frame. */
@Timeout(60)
class MutualTlsTest {
    @TempDir Path dir;
    TestPki pki;
    final AtomicInteger requests = new AtomicInteger();
    final AtomicReference<Peer> lastPeer = new AtomicReference<>();
    /** Answers every request by echoing it as LINEAR_REPLY, counting what reached it. */
    final Service echo = (peer, request) -> {
        requests.incrementAndGet();
        lastPeer.set(peer);
        return CompletableFuture.completedFuture(new Message.LinearReply(new Rows.Floats(1, 1, new float[] {1f}), 0));
    };
    TcpServer server;

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(dir);
        server = TcpServer.start(echo, "127.0.0.1", 0, pki.context(Role.WEIGHTS_SERVER, Role.NODE));
    }

    @org.junit.jupiter.api.AfterEach
    void stop() {
        server.close();
    }

    ProtocolException refused(SSLContext client) {
        var e = assertThrows(ProtocolException.class, () -> {
            try (var ch = TcpChannel.connect("127.0.0.1", server.port(), client, Duration.ofSeconds(5))) {
                ch.exchange(new Message.Hello("x"));
            }
        });
        assertEquals(0, requests.get(), "the server answered an unauthenticated peer");
        return e;
    }

    @Test
    void aNodeWithTheDeploymentsCertificateIsServedAndKnown() throws Exception {
        try (var ch = TcpChannel.connect("127.0.0.1", server.port(), pki.context(Role.NODE, Role.WEIGHTS_SERVER), Duration.ofSeconds(10))) {
            assertArrayEquals(new float[] {1f}, ((Rows.Floats) ch.call(new Message.Hello("m"), Message.LinearReply.class).output()).data());
            assertEquals("node", Tls.role(lastPeer.get().certificate()));
            assertEquals(ch.localCertificate(), lastPeer.get().certificate());
            assertEquals("TLSv1.3", ((SSLSocket) socketOf(ch)).getSession().getProtocol());
        }
    }

    @Test
    void aClientWithoutACertificateGetsNothing() throws Exception {
        var tmf = TrustManagerFactory.getInstance("PKIX");
        var ts = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(pki.role(Role.NODE).resolve(Tls.TRUST))) {
            ts.load(in, TestPki.PASSWORD);
        }
        tmf.init(ts);
        var ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, tmf.getTrustManagers(), null);
        var e = refused(ctx);
        assertTrue(e.getMessage().contains("presented no certificate"), e.getMessage());
        // and the server's own side: a raw TLS client without a certificate that sends a HELLO anyway gets no frame
        try (var s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            try {
                s.startHandshake();
                s.getOutputStream().write(new byte[] {'V', 'L', 2, 1, 1, 0, 0, 0, 3, 0, 1, 0, 'x'});
                s.getOutputStream().flush();
                int got = s.getInputStream().read();
                assertEquals(-1, got, "the server sent data to a peer without a certificate");
            } catch (java.io.IOException refusedByServer) {
                // certificate_required alert, or the connection reset: nothing from Veil either way
            }
        }
        assertEquals(0, requests.get());
    }

    @Test
    void aCertificateFromAnotherCaGetsNothing() throws Exception {
        var other = new TestPki(dir.resolve("other"));
        var e = refused(other.context(Role.NODE, Role.WEIGHTS_SERVER)); // fails both ways: neither trusts the other's CA
        assertTrue(e.getMessage().startsWith("TLS handshake with weights server"), e.getMessage());
    }

    @Test
    void anExpiredCertificateGetsNothing() throws Exception {
        Path expired = pki.role(Role.NODE, "expired", Instant.now().minus(Duration.ofDays(3)), Instant.now().minus(Duration.ofDays(1)));
        var e = refused(Tls.context(expired, TestPki.PASSWORD, Role.WEIGHTS_SERVER.id));
        assertTrue(e.getMessage().contains("certificate"), e.getMessage());
    }

    @Test
    void aProxysCertificateCannotQueryTheWeights() throws Exception {
        var e = refused(pki.context(Role.PROXY, Role.WEIGHTS_SERVER));
        assertTrue(e.getMessage().contains("certificate"), e.getMessage());
    }

    @Test
    void aTls12ClientGetsNothing() throws Exception {
        Path node = pki.role(Role.NODE);
        var kmf = KeyManagerFactory.getInstance("PKIX");
        var ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(node.resolve(Tls.IDENTITY))) {
            ks.load(in, TestPki.PASSWORD);
        }
        kmf.init(ks, TestPki.PASSWORD);
        var ctx = SSLContext.getInstance("TLSv1.2");
        ctx.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}
            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}
            public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
        }}, null);
        try (var s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.setSoTimeout(5000);
            var e = assertThrows(javax.net.ssl.SSLException.class, s::startHandshake);
            assertTrue(e.getMessage().contains("protocol_version") || e.getMessage().contains("protocol"), e.getMessage());
        }
        assertEquals(0, requests.get());
    }

    @Test
    void aPlaintextClientGetsNoFrameAndAClearError() throws Exception {
        var e = refused(null);
        assertTrue(e.getMessage().contains("TLS"), e.getMessage());
        try (var s = new Socket("127.0.0.1", server.port())) { // raw bytes of a HELLO frame: no frame comes back
            s.setSoTimeout(5000);
            s.getOutputStream().write(new byte[] {'V', 'L', 2, 1, 1, 0, 0, 0, 3, 0, 1, 0, 'x'});
            InputStream in = s.getInputStream();
            byte[] back = in.readAllBytes();
            assertTrue(back.length == 0 || back[0] == 0x15, "expected nothing or a TLS alert, got " + back.length + " bytes");
        }
        assertEquals(0, requests.get());
    }

    @Test
    void aNodeRefusesAServerOfAnotherCaOrRole() throws Exception {
        var other = new TestPki(dir.resolve("other"));
        try (var rogue = TcpServer.start(echo, "127.0.0.1", 0, other.context(Role.WEIGHTS_SERVER, Role.NODE))) {
            var e = assertThrows(ProtocolException.class, () -> TcpChannel.connect("127.0.0.1", rogue.port(),
                    pki.context(Role.NODE, Role.WEIGHTS_SERVER), Duration.ofSeconds(5)));
            assertTrue(e.getMessage().startsWith("TLS handshake with weights server"), e.getMessage());
        }
        // a node's certificate posing as a weights server
        try (var rogue = TcpServer.start(echo, "127.0.0.1", 0, pki.context(Role.NODE, Role.NODE))) {
            var e = assertThrows(ProtocolException.class, () -> TcpChannel.connect("127.0.0.1", rogue.port(),
                    pki.context(Role.NODE, Role.WEIGHTS_SERVER), Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("role 'node', not 'weights-server'"), e.getMessage());
        }
        assertEquals(0, requests.get());
        assertNull(lastPeer.get());
    }

    @Test
    void aWrongPasswordIsOneLine() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Tls.context(pki.role(Role.NODE), "nope".toCharArray(), "weights-server"));
        assertTrue(e.getMessage().startsWith("cannot use the TLS identity in "), e.getMessage());
    }

    static Socket socketOf(TcpChannel ch) throws Exception {
        var f = TcpChannel.class.getDeclaredField("socket");
        f.setAccessible(true);
        return (Socket) f.get(ch);
    }
}
