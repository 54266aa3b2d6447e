package dev.veil.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.keys.Role;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.Service;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.protocol.transport.TestPki;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The node → server attested handshake over real mutual-TLS sockets, with simulated evidence. */
@Timeout(60)
class AttestedHandshakeTest {
    static final byte[] MEASUREMENT = TestAmd.filled(48, 0xA1);
    @TempDir Path dir;
    TestPki pki;
    TcpServer server;
    final AtomicInteger served = new AtomicInteger();
    final List<String> log = new CopyOnWriteArrayList<>();
    final Service inner = new Service() {
        @Override
        public CompletableFuture<Message> handle(dev.veil.protocol.transport.Peer peer, Message request) {
            served.incrementAndGet();
            if (request instanceof Message.Hello) peer.greeted(true);
            return CompletableFuture.completedFuture(request instanceof Message.Hello h ? new Message.Welcome(h.modelId(),
                    new dev.veil.protocol.ModelDims(64, 172, 5, 8, 4, 8, 512), 1 << 20)
                    : new Message.LinearReply(new Rows.Floats(0, 0, new float[0]), 0));
        }

        @Override
        public long replyBound(Message request) {
            return 12345;
        }
    };
    AttestedService attested;

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(dir);
        var verifier = new AttestationVerifier(AttestationPolicy.of(List.of(MEASUREMENT)), List.of(), true, Clock.systemUTC());
        attested = new AttestedService(inner, verifier, Clock.systemUTC(), log::add);
        server = TcpServer.start(attested, "127.0.0.1", 0, pki.context(Role.WEIGHTS_SERVER, Role.NODE), ServerLimits.defaults(), log::add);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    TcpChannel connect() throws Exception {
        return TcpChannel.connect("127.0.0.1", server.port(), pki.context(Role.NODE, Role.WEIGHTS_SERVER), Duration.ofSeconds(10));
    }

    @Test
    void anAttestedNodeIsServedAndAnUnattestedOneGetsNothing() throws Exception {
        try (var ch = connect()) {
            var e = assertThrows(ProtocolException.class, () -> ch.call(new Message.Hello("m"), Message.LinearReply.class));
            assertEquals(ErrorCode.NOT_ATTESTED, e.code());
            assertEquals(0, served.get());
            var sim = new SimulatedProvider(MEASUREMENT, 0x30000, TestAmd.TCB);
            String summary = NodeAttestation.present(ch, ch.localCertificate(), sim);
            assertTrue(summary.startsWith("SIMULATED attestation (proves nothing)"), summary);
            ch.call(new Message.Hello("m"), Message.Welcome.class);
            assertEquals(1, served.get());
            // accepted, but SIMULATED evidence proves nothing: the log, each greeting and the metrics say so
            assertTrue(log.stream().anyMatch(l -> l.contains("NOT attested, its SIMULATED evidence accepted")), log.toString());
            // the transport logs a greeting before it sends the WELCOME
            assertTrue(log.stream().anyMatch(l -> l.endsWith("greeted: NOT ATTESTED (SIMULATED evidence accepted by"
                    + " --allow-simulated-attestation)")), log.toString());
            var metrics = new StringBuilder();
            attested.prometheus(metrics);
            assertTrue(metrics.toString().contains("\nveil_attestation_enforced 0\n"), metrics.toString());
            assertTrue(metrics.toString().contains("\nveil_peers_unattested_total 1\n"), metrics.toString());
            assertTrue(metrics.toString().contains("\nveil_peers_attested_total 0\n"), metrics.toString());
        }
    }

    /** The gate hides nothing the transport needs: a reply's bound is the served model's, not unknown (0). */
    @Test
    void theGateKeepsTheInnerServicesBounds() {
        Service bounded = new Service() {
            @Override
            public CompletableFuture<Message> handle(dev.veil.protocol.transport.Peer peer, Message request) {
                return inner.handle(peer, request);
            }

            @Override
            public long replyBound(Message request) {
                return 1000;
            }

            @Override
            public long heldBound(Message request) {
                return 2000;
            }
        };
        var verifier = new AttestationVerifier(AttestationPolicy.of(List.of(MEASUREMENT)), List.of(), true, Clock.systemUTC());
        var gate = new AttestedService(bounded, verifier, Clock.systemUTC(), log::add);
        assertEquals(1000, gate.replyBound(new Message.Hello("m")));
        assertEquals(2000, gate.heldBound(new Message.Hello("m")));
    }

    @Test
    void evidenceForAnotherKeyOrAReplayedNonceIsRefused() throws Exception {
        var sim = new SimulatedProvider(MEASUREMENT, 0x30000, TestAmd.TCB);
        try (var ch = connect()) {
            // evidence made for another TLS key (say, relayed from a genuine node to this connection)
            var other = KeyPairGenerator.getInstance("EC").generateKeyPair().getPublic();
            byte[] nonce = ch.call(new Message.Challenge(), Message.Nonce.class).nonce();
            var relayed = sim.attest(ReportData.bind(other, nonce)).toMessage();
            var e = assertThrows(ProtocolException.class, () -> ch.call(relayed, Message.Attested.class));
            assertEquals("weights server: attestation refused: the evidence is bound to another TLS key, not this connection's",
                    e.getMessage());
            // replaying good evidence: its nonce was used up
            byte[] n2 = ch.call(new Message.Challenge(), Message.Nonce.class).nonce();
            var good = sim.attest(ReportData.bind(ch.localCertificate().getPublicKey(), n2)).toMessage();
            ch.call(good, Message.Attested.class);
        }
        try (var ch = connect()) {
            ch.call(new Message.Challenge(), Message.Nonce.class);
            var stale = sim.attest(ReportData.bind(ch.localCertificate().getPublicKey(), new byte[32])).toMessage();
            assertEquals("weights server: attestation refused: the evidence carries a stale or foreign nonce",
                    assertThrows(ProtocolException.class, () -> ch.call(stale, Message.Attested.class)).getMessage());
            assertEquals(ErrorCode.NOT_ATTESTED, assertThrows(ProtocolException.class,
                    () -> ch.call(new Message.Hello("m"), Message.LinearReply.class)).code());
        }
        assertEquals(0, served.get());
    }

    @Test
    void anUnapprovedMeasurementIsRefused() throws Exception {
        try (var ch = connect()) {
            var rogue = new SimulatedProvider(TestAmd.filled(48, 0x66), 0x30000, TestAmd.TCB);
            var e = assertThrows(ProtocolException.class, () -> NodeAttestation.present(ch, ch.localCertificate(), rogue));
            assertTrue(e.getMessage().contains("is not one the policy allows"), e.getMessage());
            assertEquals(0, served.get());
        }
    }
}
