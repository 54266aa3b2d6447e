package dev.veil.cli;

import dev.veil.protocol.transport.Service;
import dev.veil.trust.AttestationPolicy;
import dev.veil.trust.AttestationVerifier;
import dev.veil.trust.AttestedService;
import dev.veil.trust.UnattestedService;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * The weights server's demand on its nodes. It fails closed: with TLS it serves only nodes whose evidence meets
 * {@code --attestation-policy}, unless the operator says {@code --no-attestation}; a node certificate alone
 * proves nothing ({@code veil keys} makes it outside any confidential VM), so without the check any holder of
 * one reads the weights. Whatever is not enforced (that flag, plaintext loopback, SIMULATED evidence) is said at
 * every start, on every greeting and in {@code /metrics}.
 */
final class AttestationOptions {
    @Option(names = "--attestation-policy", paramLabel = "FILE",
            description = "serve only nodes whose attestation evidence meets this policy (docs/trust.md); needs --tls-dir")
    Path policy;

    @Option(names = "--allow-simulated-attestation",
            description = "accept SIMULATED evidence, which proves nothing: counts as no attestation (development only)")
    boolean allowSimulated;

    @Option(names = "--no-attestation", description = "serve nodes without attestation: any holder of a node certificate (or, on plaintext,"
            + " anyone who can connect) can read the weights; said at every start, on every greeting and in /metrics")
    boolean noAttestation;

    private AttestationPolicy loaded;

    /** The gate in front of a service, what it exposes in {@code /metrics}, and how the start line describes it. */
    record Gate(Service service, Consumer<StringBuilder> metrics, String description) {}

    /**
     * Checks the flags go together, before anything is loaded.
     *
     * @param host the address the server listens on (plaintext on loopback is development; elsewhere it needs the opt-out)
     * @return why nodes are served without attestation, or null when they must attest
     */
    String unattestedReason(TlsOptions tls, String host) {
        if (policy != null) {
            if (noAttestation) throw new IllegalArgumentException("--no-attestation contradicts --attestation-policy: give one of them");
            if (!tls.tls()) {
                throw new IllegalArgumentException("--attestation-policy needs --tls-dir: evidence is bound to the node's TLS key");
            }
            loaded = AttestationPolicy.load(policy);
            return allowSimulated ? "SIMULATED evidence is accepted (--allow-simulated-attestation), and it proves nothing: any holder of"
                    + " a node certificate can read the weights" : null;
        }
        if (allowSimulated) throw new IllegalArgumentException("--allow-simulated-attestation needs --attestation-policy FILE");
        if (tls.tls()) {
            if (noAttestation) return "--no-attestation: any holder of a node certificate can read the weights";
            throw new IllegalArgumentException("--tls-dir without --attestation-policy would serve the weights to any holder of a node"
                    + " certificate: give --attestation-policy FILE (docs/trust.md), or --no-attestation to serve unattested nodes");
        }
        if (TlsOptions.loopback(host)) return "plaintext on loopback, for development: any local process can read the weights";
        if (noAttestation) return "--no-attestation on plaintext: anyone who can connect can read the weights";
        throw new IllegalArgumentException("plaintext beyond loopback serves the weights to anyone who can connect: give --tls-dir DIR and"
                + " --attestation-policy FILE, or --no-attestation as well");
    }

    /** {@code inner} behind the attested handshake, or behind a gate that says at every greeting that nothing was proved. */
    Gate gate(Service inner, TlsOptions tls, String host, String who) {
        String why = unattestedReason(tls, host);
        Consumer<String> log = line -> System.err.println("veil " + who + ": " + line);
        // plaintext loopback is development: TlsOptions has said so, and the start line says what it means
        if (why != null && (tls.tls() || !TlsOptions.loopback(host))) System.err.println("veil " + who + ": WARNING: NO ATTESTATION: "
                + why);
        if (policy != null) {
            var attested = new AttestedService(inner, new AttestationVerifier(loaded, allowSimulated),
                    Clock.systemUTC(), log);
            return new Gate(attested, attested::prometheus, allowSimulated
                    ? ", NOT ATTESTED: SIMULATED evidence accepted (" + policy + ")" : ", attested nodes only (" + policy + ")");
        }
        var unattested = new UnattestedService(inner, why);
        return new Gate(unattested, unattested::prometheus, ", NOT ATTESTED (" + why + ")");
    }
}
