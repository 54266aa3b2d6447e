package dev.veil.trust;

import dev.veil.protocol.Message;
import java.nio.charset.StandardCharsets;

/**
 * Attestation evidence as a node presents it: an SEV-SNP report (the same 1184-byte format for both kinds)
 * and, in PEM, what signs it: for {@link Kind#SEV_SNP} the VCEK or VLEK certificate (optionally followed by
 * its ASK/ASVK), for {@link Kind#SIMULATED} the simulator's public key. The kind is only a label: the
 * verifier never lets it upgrade trust (a SIMULATED label is refused unless allowed; an SEV_SNP one must
 * chain to AMD's root keys).
 */
public record Evidence(Kind kind, byte[] report, String signers) {
    public enum Kind {
        SEV_SNP("sev-snp"), SIMULATED("simulated");

        public final String id;

        Kind(String id) {
            this.id = id;
        }

        public static Kind of(String id) {
            for (Kind k : values()) if (k.id.equals(id)) return k;
            throw new AttestationException("unknown evidence kind '" + id + "' (sev-snp, simulated)");
        }
    }

    public Message.Evidence toMessage() {
        return new Message.Evidence(kind.id, report, signers.getBytes(StandardCharsets.US_ASCII));
    }

    public static Evidence of(Message.Evidence m) {
        return new Evidence(Kind.of(m.kind()), m.report(), new String(m.certificates(), StandardCharsets.US_ASCII));
    }
}
