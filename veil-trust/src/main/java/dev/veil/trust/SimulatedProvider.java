package dev.veil.trust;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

/**
 * SIMULATED attestation for development on machines without SEV-SNP: reports in the SEV-SNP format, signed
 * with ECDSA P-384 by a key this process makes up. It proves nothing (the node vouches for itself), and every
 * verifier refuses it unless started with {@code --allow-simulated-attestation}. The measurement is what a
 * real one would be computed over as nearly as a process can tell: its own code ({@link CodeMeasurement}).
 */
public final class SimulatedProvider implements AttestationProvider {
    /** CHIP_ID of every simulated report, so no one mistakes it for a chip's. */
    public static final byte[] CHIP_ID = "VEIL SIMULATED ATTESTATION - NOT A CHIP".getBytes(StandardCharsets.US_ASCII);

    private final KeyPair key;
    private final byte[] measurement;
    private final long policy;
    private final TcbVersion tcb;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param measurement the 48-byte launch measurement to report
     * @param policy the guest POLICY field (e.g. with {@link SnpReport#POLICY_DEBUG} to test refusals)
     */
    public SimulatedProvider(byte[] measurement, long policy, TcbVersion tcb) {
        if (measurement.length != 48) throw new IllegalArgumentException("a measurement is 48 bytes");
        this.measurement = measurement.clone();
        this.policy = policy;
        this.tcb = tcb;
        try {
            var g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp384r1"), random);
            this.key = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no ECDSA P-384 in this JDK", e);
        }
    }

    /** Measures this process's code, with the policy a production guest would have (SMT allowed, no debug). */
    public static SimulatedProvider ofRunningCode() {
        return new SimulatedProvider(CodeMeasurement.ofClassPath(), 0x30000L, new TcbVersion(0, 3, 0, 8, 115));
    }

    public byte[] measurement() {
        return measurement.clone();
    }

    @Override
    public Evidence attest(byte[] reportData) {
        if (reportData.length != 64) throw new IllegalArgumentException("REPORT_DATA is 64 bytes");
        byte[] r = new byte[SnpReport.SIZE];
        var b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
        long packedTcb = (tcb.bootloader() & 0xFFL) | (tcb.tee() & 0xFFL) << 8
                | (tcb.snp() & 0xFFL) << 48 | (tcb.microcode() & 0xFFL) << 56; // the Milan/Genoa layout
        b.putInt(0x00, 3).putInt(0x04, 0).putLong(0x08, policy).putInt(0x30, 0).putInt(0x34, SnpReport.ECDSA_P384_SHA384);
        b.putLong(0x38, packedTcb).putLong(0x40, 0).putInt(0x48, SnpReport.SIGNED_BY_VCEK << 2);
        b.put(0x50, reportData).put(0x90, measurement);
        byte[] reportId = new byte[32];
        random.nextBytes(reportId);
        b.put(0x140, reportId).putLong(0x180, packedTcb);
        r[0x188] = 0x19; // CPUID family 19h (Milan/Genoa layout of the TCB)
        b.put(0x1A0, CHIP_ID).putLong(0x1E0, packedTcb).putLong(0x1F0, packedTcb);
        try {
            var sig = Signature.getInstance("SHA384withECDSAinP1363Format");
            sig.initSign(key.getPrivate(), random);
            sig.update(r, 0, SnpReport.SIGNED_BYTES);
            SnpReport.putSignature(r, sig.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a simulated report: " + e.getMessage(), e);
        }
        return new Evidence(Evidence.Kind.SIMULATED, r, Pem.encode("PUBLIC KEY", key.getPublic().getEncoded()));
    }

    @Override
    public String describe() {
        return "SIMULATED attestation (development only: proves nothing), measurement " + java.util.HexFormat.of().formatHex(measurement);
    }
}
