package dev.veil.trust;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECPublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;

/**
 * The certificate chain behind an SEV-SNP report: AMD's root key (ARK, self-signed, pinned: only the roots
 * this verifier was given count) signs an intermediate (ASK for VCEKs, ASVK for VLEKs), which signs the
 * chip's VCEK or the cloud's VLEK, an ECDSA P-384 key that signs the report. AMD signs with RSASSA-PSS
 * (SHA-384); the JDK checks those signatures. A VCEK also names the TCB it was derived for and the chip's
 * id, which must match the report's.
 */
public final class AmdChain {
    /** AMD's SEV-SNP certificate extensions (AMD's "VCEK certificate" spec, OIDs 1.3.6.1.4.1.3704.1.*). */
    static final String BL_SPL = "1.3.6.1.4.1.3704.1.3.1", TEE_SPL = "1.3.6.1.4.1.3704.1.3.2", SNP_SPL = "1.3.6.1.4.1.3704.1.3.3",
            UCODE_SPL = "1.3.6.1.4.1.3704.1.3.8", FMC_SPL = "1.3.6.1.4.1.3704.1.3.9", HW_ID = "1.3.6.1.4.1.3704.1.4";

    /** One product line's root and intermediate. */
    public record Root(String product, X509Certificate ark, X509Certificate ask) {}

    private AmdChain() {}

    /** AMD's published ARK and ASK for Milan, Genoa and Turin, bundled (resources/dev/veil/trust/amd). */
    public static List<Root> bundled() {
        var roots = new ArrayList<Root>();
        for (String p : List.of("milan", "genoa", "turin")) {
            try (InputStream in = AmdChain.class.getResourceAsStream("amd/" + p + ".pem")) {
                var certs = Pem.certificates(in.readAllBytes());
                roots.add(new Root(p, certs.get(0), certs.get(1)));
            } catch (IOException e) {
                throw new IllegalStateException("AMD root certificates missing from the build: " + p, e);
            }
        }
        return roots;
    }

    /**
     * Checks that {@code signers} (the VCEK or VLEK first, then optionally its intermediate) chains to one of
     * {@code roots}, every certificate valid at {@code now}; returns the signing key's certificate.
     */
    public static X509Certificate verify(List<X509Certificate> signers, List<Root> roots, Instant now) {
        if (signers.isEmpty()) throw new AttestationException("the evidence carries no VCEK or VLEK certificate");
        X509Certificate leaf = signers.getFirst();
        if (!(leaf.getPublicKey() instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 384) {
            throw new AttestationException("the VCEK/VLEK certificate does not hold an ECDSA P-384 key");
        }
        for (Root root : roots) {
            if (!signedBy(root.ark(), root.ark())) continue; // a root that does not verify itself anchors nothing
            var intermediates = new ArrayList<X509Certificate>(signers.subList(1, signers.size()));
            intermediates.add(root.ask());
            for (X509Certificate ask : intermediates) {
                if (signedBy(ask, root.ark()) && signedBy(leaf, ask)) {
                    for (var c : List.of(root.ark(), ask, leaf)) valid(c, now);
                    return leaf;
                }
            }
        }
        throw new AttestationException("the VCEK/VLEK certificate '" + leaf.getSubjectX500Principal().getName()
                + "' does not chain to AMD's root keys");
    }

    /** Checks a VCEK's TCB and chip id against the report's (a VLEK names no chip). */
    public static void matches(X509Certificate signer, SnpReport report) {
        TcbVersion tcb = report.reportedTcb();
        int[][] levels = {{integer(signer, BL_SPL), tcb.bootloader()}, {integer(signer, TEE_SPL), tcb.tee()},
                {integer(signer, SNP_SPL), tcb.snp()}, {integer(signer, UCODE_SPL), tcb.microcode()}};
        for (int[] l : levels) {
            if (l[0] >= 0 && l[0] != l[1]) {
                throw new AttestationException("the report's reported TCB (" + tcb + ") is not the one its VCEK was issued for");
            }
        }
        byte[] hwid = octets(signer, HW_ID);
        if (hwid != null && report.signingKey() == SnpReport.SIGNED_BY_VCEK) {
            byte[] chip = report.chipId();
            // Turin VCEKs name the first 8 bytes of the chip id only
            if (!Arrays.equals(hwid, chip) && !(hwid.length == 8 && Arrays.equals(hwid, Arrays.copyOf(chip, 8)))) {
                throw new AttestationException("the report's chip id is not the one its VCEK was issued for");
            }
        }
    }

    private static boolean signedBy(X509Certificate c, X509Certificate issuer) {
        try {
            c.verify(issuer.getPublicKey());
            return c.getIssuerX500Principal().equals(issuer.getSubjectX500Principal());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static void valid(X509Certificate c, Instant now) {
        try {
            c.checkValidity(Date.from(now));
        } catch (GeneralSecurityException e) {
            throw new AttestationException("certificate '" + c.getSubjectX500Principal().getName() + "' is not valid now: "
                    + e.getMessage());
        }
    }

    /** An extension holding a DER INTEGER (AMD's SPL fields), or -1 when absent. */
    static int integer(X509Certificate c, String oid) {
        byte[] v = Der.unwrap(c.getExtensionValue(oid), 0x04);
        if (v == null) return -1;
        byte[] n = Der.unwrap(v, 0x02);
        if (n == null || n.length > 4) throw new AttestationException("malformed extension " + oid + " in the VCEK");
        return new java.math.BigInteger(n).intValue();
    }

    /** An extension holding raw bytes, or an OCTET STRING of them (AMD's hwID), or null when absent. */
    static byte[] octets(X509Certificate c, String oid) {
        byte[] v = Der.unwrap(c.getExtensionValue(oid), 0x04);
        if (v == null) return null;
        byte[] inner = v.length > 2 && v[0] == 0x04 ? Der.unwrap(v, 0x04) : null;
        return inner != null ? inner : v;
    }
}
