package dev.veil.cli;

import dev.veil.protocol.transport.Service;
import dev.veil.trust.AttestationPolicy;
import dev.veil.trust.AttestationVerifier;
import dev.veil.trust.AttestedService;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Option;

/** The verifier's side of attestation (the weights server now; `veil proxy` later): a policy, and what it may accept. */
final class AttestationOptions {
    @Option(names = "--attestation-policy", paramLabel = "FILE",
            description = "serve only nodes whose attestation evidence meets this policy (docs/trust.md); needs --tls-dir")
    Path policy;

    @Option(names = "--allow-simulated-attestation", description = "accept SIMULATED evidence, which proves nothing (development only)")
    boolean allowSimulated;

    /** {@code inner} behind the attested handshake, or {@code inner} itself when no policy was given. */
    Service gate(Service inner, TlsOptions tls, String who) {
        if (policy == null) {
            if (allowSimulated) throw new IllegalArgumentException("--allow-simulated-attestation needs --attestation-policy FILE");
            return inner;
        }
        if (!tls.tls()) throw new IllegalArgumentException("--attestation-policy needs --tls-dir: evidence is bound to the node's TLS key");
        var verifier = new AttestationVerifier(AttestationPolicy.load(policy), allowSimulated);
        if (allowSimulated) {
            System.err.println("veil " + who + ": WARNING: accepting SIMULATED attestation (--allow-simulated-attestation)");
        }
        return new AttestedService(inner, verifier, Clock.systemUTC(), line -> System.err.println("veil " + who + ": " + line));
    }

    String describe() {
        return policy == null ? "" : ", attested nodes only (" + policy + (allowSimulated ? ", SIMULATED accepted" : "") + ")";
    }
}
