package dev.veil.trust;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A stand-in AMD for tests: an ARK and ASK (RSASSA-PSS/SHA-384, as AMD's), a chip's VCEK (P-384) with AMD's
 * TCB and hwID extensions, and reports in the SEV-SNP layout signed by it.
 */
final class TestAmd {
    static final TcbVersion TCB = new TcbVersion(0, 3, 0, 8, 115);
    static final byte[] CHIP = filled(64, 0x5C);
    static final byte[] MEASUREMENT = filled(48, 0xA1);

    /** RSA key generation is slow: chips share one AMD unless a test needs a root of its own. */
    private static final KeyPair SHARED_ARK = rsa(), SHARED_ASK = rsa();

    final KeyPair ark, ask, vcek = ec384();
    final X509Certificate arkCert, askCert, vcekCert;
    final AmdChain.Root root;

    TestAmd() throws Exception {
        this(TCB, CHIP, Instant.now().plus(Duration.ofDays(365)), false);
    }

    TestAmd(TcbVersion vcekTcb, byte[] hwid, Instant vcekNotAfter, boolean ownRoot) throws Exception {
        ark = ownRoot ? rsa() : SHARED_ARK;
        ask = ownRoot ? rsa() : SHARED_ASK;
        var arkName = new X500Principal("CN=ARK-Test, O=Test AMD");
        var askName = new X500Principal("CN=SEV-Test, O=Test AMD");
        Instant from = Instant.now().minus(Duration.ofDays(1));
        arkCert = cert(arkName, arkName, ark, ark, from, from.plus(Duration.ofDays(3650)), true, null, null);
        askCert = cert(askName, arkName, ask, ark, from, from.plus(Duration.ofDays(3650)), true, null, null);
        vcekCert = cert(new X500Principal("CN=SEV-VCEK, O=Test AMD"), askName, vcek, ask, from, vcekNotAfter, false, vcekTcb, hwid);
        root = new AmdChain.Root("test", arkCert, askCert);
    }

    /** A report with the given fields, signed by this chip's VCEK. */
    byte[] report(byte[] reportData, byte[] measurement, long policy, int vmpl, TcbVersion tcb) throws Exception {
        byte[] r = new byte[SnpReport.SIZE];
        var b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
        long packed = (tcb.bootloader() & 0xFFL) | (tcb.tee() & 0xFFL) << 8 | (tcb.snp() & 0xFFL) << 48 | (tcb.microcode() & 0xFFL) << 56;
        b.putInt(0, 2).putLong(0x08, policy).putInt(0x30, vmpl).putInt(0x34, 1).putLong(0x38, packed).putInt(0x48, 0);
        b.put(0x50, reportData).put(0x90, measurement).putLong(0x180, packed).put(0x1A0, CHIP).putLong(0x1E0, packed).putLong(0x1F0,
                packed);
        return sign(r, vcek);
    }

    static byte[] sign(byte[] report, KeyPair key) throws Exception {
        var sig = Signature.getInstance("SHA384withECDSAinP1363Format");
        sig.initSign(key.getPrivate());
        sig.update(report, 0, SnpReport.SIGNED_BYTES);
        SnpReport.putSignature(report, sig.sign());
        return report;
    }

    Evidence evidence(byte[] report) {
        return new Evidence(Evidence.Kind.SEV_SNP, report, Pem.encode(java.util.List.of(vcekCert)));
    }

    static X509Certificate cert(X500Principal subject, X500Principal issuer, KeyPair subjectKeys, KeyPair issuerKeys, Instant from,
            Instant to,
                                boolean ca, TcbVersion tcb, byte[] hwid) throws Exception {
        var b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(System.nanoTime()), Date.from(from), Date.from(to), subject,
                subjectKeys.getPublic());
        if (ca) b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        if (tcb != null) {
            b.addExtension(new ASN1ObjectIdentifier(AmdChain.BL_SPL), false, new ASN1Integer(tcb.bootloader()));
            b.addExtension(new ASN1ObjectIdentifier(AmdChain.TEE_SPL), false, new ASN1Integer(tcb.tee()));
            b.addExtension(new ASN1ObjectIdentifier(AmdChain.SNP_SPL), false, new ASN1Integer(tcb.snp()));
            b.addExtension(new ASN1ObjectIdentifier(AmdChain.UCODE_SPL), false, new ASN1Integer(tcb.microcode()));
        }
        if (hwid != null) b.addExtension(new ASN1ObjectIdentifier(AmdChain.HW_ID), false, new DEROctetString(hwid));
        var signer = new JcaContentSignerBuilder("SHA384withRSAandMGF1")
                .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
        if (issuerKeys.getPrivate().getAlgorithm().equals("EC")) signer = new JcaContentSignerBuilder("SHA384withECDSA");
        return new JcaX509CertificateConverter().getCertificate(b.build(signer.build(issuerKeys.getPrivate())));
    }

    static KeyPair rsa() {
        try {
            var g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair ec384() {
        try {
            var g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp384r1"));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

}
