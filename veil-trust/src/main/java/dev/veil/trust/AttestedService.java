package dev.veil.trust;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.transport.Peer;
import dev.veil.protocol.transport.Service;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Puts attestation in front of a service (the weights server): a peer must first ask for a nonce
 * ({@code CHALLENGE}), then present evidence bound to that nonce and to the TLS key it authenticated with
 * ({@code EVIDENCE}); until its evidence meets the verifier's policy every other request, HELLO included,
 * gets {@code NOT_ATTESTED} and reaches nothing behind. A nonce is single-use and expires.
 */
public final class AttestedService implements Service {
    public static final Duration NONCE_LIFETIME = Duration.ofSeconds(60);

    private final Service inner;
    private final AttestationVerifier verifier;
    private final Clock clock;
    private final Consumer<String> log;
    private final SecureRandom random = new SecureRandom();
    private final Map<Peer, Issued> nonces = new ConcurrentHashMap<>();

    private record Issued(byte[] nonce, Instant at) {}

    /** @param log where to say which peer was accepted or refused, and why */
    public AttestedService(Service inner, AttestationVerifier verifier, Clock clock, Consumer<String> log) {
        this.inner = inner;
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
                yield inner.handle(peer, request);
            }
        };
    }

    private Message evidence(Peer peer, Message.Evidence e) {
        Issued issued = nonces.remove(peer); // single use, whatever the outcome
        try {
            if (peer.certificate() == null) {
                throw new AttestationException("attestation needs a mutual TLS connection (no TLS key to bind)");
            }
            if (issued == null) throw new AttestationException("no nonce was issued on this connection (send CHALLENGE first)");
            if (issued.at().plus(NONCE_LIFETIME).isBefore(clock.instant())) throw new AttestationException("the nonce expired");
            var verified = verifier.verify(Evidence.of(e), peer.certificate().getPublicKey(), issued.nonce());
            peer.attested(true);
            log.accept(peer + " attested: " + verified.summary());
            return new Message.Attested(verified.summary());
        } catch (AttestationException x) {
            log.accept(peer + " refused: " + x.getMessage());
            throw new ProtocolException(ErrorCode.NOT_ATTESTED, "attestation refused: " + x.getMessage());
        }
    }

    /** The inner service's bounds: the transport holds memory for a call, and refuses one too large, by them. */
    @Override
    public long replyBound(Message request) {
        return inner.replyBound(request);
    }

    @Override
    public long heldBound(Message request) {
        return inner.heldBound(request);
    }

    @Override
    public void disconnected(Peer peer) {
        nonces.remove(peer);
        inner.disconnected(peer);
    }
}
