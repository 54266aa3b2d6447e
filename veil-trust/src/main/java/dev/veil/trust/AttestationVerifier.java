package dev.veil.trust;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks attestation evidence against a policy, for whoever must trust a node before talking to it: the
 * weights server on the node's handshake, and (later) the client's verifying proxy. {@link #verify} proves,
 * when it returns: the report was signed by a VCEK/VLEK that chains to AMD's roots (or, only when allowed,
 * by the simulator); the guest runs an approved measurement at an accepted TCB, without debugging and at an
 * accepted VMPL; and the report was made for this TLS key and this fresh nonce, so it comes from the peer at
 * the other end of this very connection, now.
 */
public final class AttestationVerifier {
    private final AttestationPolicy policy;
    private final List<AmdChain.Root> roots;
    private final boolean allowSimulated;
    private final Clock clock;

    /**
     * @param roots AMD root keys to accept ({@link AmdChain#bundled()} in production)
     * @param allowSimulated accept {@link Evidence.Kind#SIMULATED} evidence (development only; it proves nothing)
     */
    public AttestationVerifier(AttestationPolicy policy, List<AmdChain.Root> roots, boolean allowSimulated, Clock clock) {
        this.policy = policy;
        this.roots = List.copyOf(roots);
        this.allowSimulated = allowSimulated;
        this.clock = clock;
    }

    public AttestationVerifier(AttestationPolicy policy, boolean allowSimulated) {
        this(policy, AmdChain.bundled(), allowSimulated, Clock.systemUTC());
    }

    public boolean allowsSimulated() {
        return allowSimulated;
    }

    /** What a successful verification established. */
    public record Verified(SnpReport report, boolean simulated) {
        public String summary() {
            return (simulated ? "SIMULATED attestation (proves nothing): " : "AMD SEV-SNP: ") + "measurement "
                    + HexFormat.of().formatHex(report.measurement()) + ", TCB " + report.reportedTcb();
        }
    }

    /**
     * @param tlsKey the public key the peer authenticated with on this connection
     * @param nonce the nonce this verifier issued for this attempt
     * @throws AttestationException with a one-line reason, whatever fails
     */
    public Verified verify(Evidence evidence, PublicKey tlsKey, byte[] nonce) {
        boolean simulated = evidence.kind() == Evidence.Kind.SIMULATED;
        if (simulated && !allowSimulated) {
            throw new AttestationException("SIMULATED attestation refused"
                    + " (start the verifier with --allow-simulated-attestation to accept it)");
        }
        SnpReport report = SnpReport.parse(evidence.report());
        checkSignature(report, evidence, simulated);
        checkPolicy(report);
        byte[] data = report.reportData();
        if (!MessageDigest.isEqual(Arrays.copyOf(data, 32), ReportData.keyHash(tlsKey))) {
            throw new AttestationException("the evidence is bound to another TLS key, not this connection's");
        }
        if (!MessageDigest.isEqual(Arrays.copyOfRange(data, 32, 64), nonce)) {
            throw new AttestationException("the evidence carries a stale or foreign nonce");
        }
        return new Verified(report, simulated);
    }

    private void checkSignature(SnpReport report, Evidence evidence, boolean simulated) {
        if (report.signatureAlgorithm() != SnpReport.ECDSA_P384_SHA384) {
            throw new AttestationException("unknown report signature algorithm " + report.signatureAlgorithm());
        }
        if (report.chipKeyMasked() || report.signingKey() == SnpReport.UNSIGNED) throw new AttestationException("the report is not signed");
        PublicKey signer;
        if (simulated) {
            signer = Pem.publicKey(evidence.signers());
        } else {
            var cert = AmdChain.verify(Pem.certificates(evidence.signers().getBytes(java.nio.charset.StandardCharsets.US_ASCII)), roots,
                    clock.instant());
            AmdChain.matches(cert, report);
            signer = cert.getPublicKey();
        }
        try {
            var sig = Signature.getInstance("SHA384withECDSAinP1363Format");
            sig.initVerify(signer);
            sig.update(report.signedBytes());
            if (!sig.verify(report.signatureP1363())) throw new AttestationException("the report's signature does not verify");
        } catch (GeneralSecurityException e) {
            throw new AttestationException("the report's signature does not verify: " + e.getMessage(), e);
        }
    }

    private void checkPolicy(SnpReport r) {
        if (r.version() < policy.minReportVersion()) {
            throw new AttestationException("report version " + r.version() + " is below the policy's " + policy.minReportVersion());
        }
        if (r.debugAllowed() && !policy.allowDebug()) {
            throw new AttestationException("the guest allows debugging (policy bit DEBUG), which the policy refuses");
        }
        if ((r.policy() & SnpReport.POLICY_MIGRATE_MA) != 0 && !policy.allowMigrationAgent()) {
            throw new AttestationException("the guest allows a migration agent, which the policy refuses");
        }
        if (r.vmpl() > policy.maxVmpl()) {
            throw new AttestationException("report from VMPL " + r.vmpl() + ", the policy allows up to " + policy.maxVmpl());
        }
        String m = HexFormat.of().formatHex(r.measurement());
        if (!policy.measurements().contains(m)) throw new AttestationException("measurement " + m + " is not one the policy allows");
        if (!r.reportedTcb().atLeast(policy.minTcb())) {
            throw new AttestationException("TCB " + r.reportedTcb() + " is below the policy's minimum " + policy.minTcb());
        }
    }
}
