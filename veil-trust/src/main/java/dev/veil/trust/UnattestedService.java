package dev.veil.trust;

import dev.veil.protocol.Message;
import dev.veil.protocol.transport.Peer;
import dev.veil.protocol.transport.ServerMetrics;
import dev.veil.protocol.transport.Service;
import dev.veil.protocol.transport.ServiceGate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * A service that serves peers without attestation, and says so wherever an operator looks: on every greeting
 * in the log and in its metrics. Without attestation anyone who can greet the server (any holder of a node
 * certificate, or any local process on plaintext loopback) can read the weights through it, so this must never
 * be the silent result of a missing flag: the command chooses it only when told to, or for loopback development.
 */
public final class UnattestedService extends ServiceGate {
    private final String why;
    private final LongAdder greeted = new LongAdder();

    /** @param why the reason, as the operator should read it at every greeting (e.g. "--no-attestation") */
    public UnattestedService(Service inner, String why) {
        super(inner);
        this.why = why;
    }

    @Override
    public CompletableFuture<Message> handle(Peer peer, Message request) {
        if (!(request instanceof Message.Hello)) return inner.handle(peer, request);
        peer.attestationNote("NOT ATTESTED (" + why + ")"); // the transport's greeting line says it
        return inner.handle(peer, request).whenComplete((r, e) -> {
            if (r instanceof Message.Welcome) greeted.increment();
        });
    }

    /** Attestation's gauge (0: not enforced) and the greetings served without it. */
    public void prometheus(StringBuilder out) {
        AttestedService.enforced(out, false);
        ServerMetrics.counter(out, "veil_peers_unattested_total", "Peers greeted without attestation evidence that proves anything.",
                greeted.sum());
    }
}
