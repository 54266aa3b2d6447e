package dev.veil.trust;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.transport.Peer;
import dev.veil.protocol.transport.ServerMetrics;
import dev.veil.protocol.transport.Service;
import dev.veil.protocol.transport.ServiceGate;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Puts attestation in front of a service (the weights server): a peer must first ask for a nonce
 * ({@code CHALLENGE}), then present evidence bound to that nonce and to the TLS key it authenticated with
 * ({@code EVIDENCE}); until its evidence meets the verifier's policy every other request, HELLO included,
 * gets {@code NOT_ATTESTED} and reaches nothing behind. A nonce is single-use and expires. Every greeting is
 * logged with what its peer proved; a peer whose SIMULATED evidence was accepted (development only) proved
 * nothing and is logged and counted as not attested.
 */
public final class AttestedService extends ServiceGate {
    public static final Duration NONCE_LIFETIME = Duration.ofSeconds(60);

    private final AttestationVerifier verifier;
    private final Clock clock;
    private final Consumer<String> log;
    private final SecureRandom random = new SecureRandom();
    private final Map<Peer, Issued> nonces = new ConcurrentHashMap<>();
    private final Map<Peer, Boolean> simulated = new ConcurrentHashMap<>();
    private final LongAdder attestedGreetings = new LongAdder(), simulatedGreetings = new LongAdder();

    private record Issued(byte[] nonce, Instant at) {}

    /** @param log where to say which peer was accepted or refused, and why */
    public AttestedService(Service inner, AttestationVerifier verifier, Clock clock, Consumer<String> log) {
        super(inner);
        this.verifier = verifier;
        this.clock = clock;
        this.log = log;
    }

    @Override
    public CompletableFuture<Message> handle(Peer peer, Message request) {
        return switch (request) {
            case Message.Challenge c -> {
                byte[] nonce = new byte[ReportData.NONCE_BYTES];
                random.nextBytes(nonce);
                nonces.put(peer, new Issued(nonce, clock.instant()));
                yield CompletableFuture.completedFuture(new Message.Nonce(nonce));
            }
            case Message.Evidence e -> CompletableFuture.completedFuture(evidence(peer, e));
            default -> {
                if (!peer.attested()) {
                    throw new ProtocolException(ErrorCode.NOT_ATTESTED,
                            "this server serves attested nodes only: send CHALLENGE, then EVIDENCE");
                }
                var reply = inner.handle(peer, request);
                yield request instanceof Message.Hello ? reply.whenComplete((r, x) -> greeted(peer, r)) : reply;
            }
        };
    }

    private void greeted(Peer peer, Message reply) {
        if (reply instanceof Message.Welcome) (simulated.getOrDefault(peer, false) ? simulatedGreetings : attestedGreetings).increment();
    }

    private Message evidence(Peer peer, Message.Evidence e) {
        Issued issued = nonces.remove(peer); // single use, whatever the outcome
        try {
            if (peer.certificate() == null) {
                throw new AttestationException("attestation needs a mutual TLS connection (no TLS key to bind)");
            }
            if (issued == null) throw new AttestationException("no nonce was issued on this connection (send CHALLENGE first)");
            if (issued.at().plus(NONCE_LIFETIME).isBefore(clock.instant())) throw new AttestationException("the nonce expired");
            var v = verifier.verify(Evidence.of(e), peer.certificate().getPublicKey(), issued.nonce());
            simulated.put(peer, v.simulated());
            peer.attested(true);
            peer.attestationNote(v.simulated() ? "NOT ATTESTED (SIMULATED evidence accepted by --allow-simulated-attestation)"
                    : "attested (" + v.summary() + ")"); // the transport's greeting line says it
            log.accept(peer + (v.simulated() ? " NOT attested, its SIMULATED evidence accepted: " : " attested: ") + v.summary());
            return new Message.Attested(v.summary());
        } catch (AttestationException x) {
            log.accept(peer + " refused: " + x.getMessage());
            throw new ProtocolException(ErrorCode.NOT_ATTESTED, "attestation refused: " + x.getMessage());
        }
    }

    @Override
    public void disconnected(Peer peer) {
        nonces.remove(peer);
        simulated.remove(peer);
        super.disconnected(peer);
    }

    /** Attestation's gauge (1 only when no SIMULATED evidence is accepted) and the greetings by what their peer proved. */
    public void prometheus(StringBuilder out) {
        enforced(out, !verifier.allowsSimulated());
        ServerMetrics.counter(out, "veil_peers_attested_total", "Peers greeted after AMD SEV-SNP evidence that met the policy.",
                attestedGreetings.sum());
        ServerMetrics.counter(out, "veil_peers_unattested_total", "Peers greeted without attestation evidence that proves anything.",
                simulatedGreetings.sum());
    }

    static void enforced(StringBuilder out, boolean enforced) {
        ServerMetrics.gauge(out, "veil_attestation_enforced", "1 when every peer must prove an approved SEV-SNP guest before it is served;"
                + " 0 when not (--no-attestation, plaintext, or SIMULATED evidence accepted): anyone who can greet reads the weights.",
                enforced ? 1 : 0);
    }
}
