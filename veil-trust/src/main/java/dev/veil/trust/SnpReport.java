package dev.veil.trust;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An AMD SEV-SNP attestation report (SEV-SNP ABI spec, "ATTESTATION_REPORT structure", versions 2 and later):
 * 1184 bytes, little-endian, signed over bytes 0..0x29F with ECDSA P-384/SHA-384 by the chip's VCEK (or a VLEK).
 * Holds every field the verifier needs; the offsets are the spec's.
 */
public final class SnpReport {
    public static final int SIZE = 0x4A0, SIGNED_BYTES = 0x2A0;
    /** SIGNATURE_ALGO: ECDSA P-384 with SHA-384, the only one defined. */
    public static final int ECDSA_P384_SHA384 = 1;
    /** POLICY bit 19: the hypervisor may debug the guest (read and write its memory). */
    public static final long POLICY_DEBUG = 1L << 19;
    /** POLICY bit 18: a migration agent may be associated. */
    public static final long POLICY_MIGRATE_MA = 1L << 18;
    /** KEY_INFO bits 4:2, SIGNING_KEY. */
    public static final int SIGNED_BY_VCEK = 0, SIGNED_BY_VLEK = 1, UNSIGNED = 7;

    private final byte[] raw;
    private final ByteBuffer b;

    private SnpReport(byte[] raw) {
        this.raw = raw;
        this.b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Parses a report; a wrong size or a version before 2 is an {@link AttestationException}. */
    public static SnpReport parse(byte[] bytes) {
        if (bytes.length != SIZE) throw new AttestationException("an SEV-SNP report is " + SIZE + " bytes, got " + bytes.length);
        var r = new SnpReport(bytes.clone());
        if (r.version() < 2) throw new AttestationException("SEV-SNP report version " + r.version() + " is not supported (2 and later)");
        return r;
    }

    public byte[] bytes() { return raw.clone(); }

    public int version() { return b.getInt(0x00); }

    public int guestSvn() { return b.getInt(0x04); }

    public long policy() { return b.getLong(0x08); }

    public boolean debugAllowed() { return (policy() & POLICY_DEBUG) != 0; }

    public byte[] familyId() { return slice(0x10, 16); }

    public byte[] imageId() { return slice(0x20, 16); }

    public int vmpl() { return b.getInt(0x30); }

    public int signatureAlgorithm() { return b.getInt(0x34); }

    public TcbVersion currentTcb() { return TcbVersion.decode(b.getLong(0x38), turin()); }

    public long platformInfo() { return b.getLong(0x40); }

    /** KEY_INFO bit 0: AUTHOR_KEY_EN. */
    public boolean authorKeyEnabled() { return (b.getInt(0x48) & 1) != 0; }

    /** KEY_INFO bit 1: MASK_CHIP_KEY (the firmware wrote zeros instead of a signature). */
    public boolean chipKeyMasked() { return (b.getInt(0x48) & 2) != 0; }

    /** KEY_INFO bits 4:2: which key signed ({@link #SIGNED_BY_VCEK}, {@link #SIGNED_BY_VLEK}, {@link #UNSIGNED}). */
    public int signingKey() { return (b.getInt(0x48) >>> 2) & 7; }

    /** The 64 bytes the guest asked to be signed (Veil: the TLS key's hash and the verifier's nonce). */
    public byte[] reportData() { return slice(0x50, 64); }

    /** The launch measurement: SHA-384 over the guest's initial memory and VMSA (its code). */
    public byte[] measurement() { return slice(0x90, 48); }

    public byte[] hostData() { return slice(0xC0, 32); }

    public byte[] idKeyDigest() { return slice(0xE0, 48); }

    public byte[] authorKeyDigest() { return slice(0x110, 48); }

    public byte[] reportId() { return slice(0x140, 32); }

    public byte[] reportIdMa() { return slice(0x160, 32); }

    /** The TCB the VCEK that signed this report was derived from. */
    public TcbVersion reportedTcb() { return TcbVersion.decode(b.getLong(0x180), turin()); }

    /** CPUID family (extended family + family) from version 3 on; 0 before. */
    public int cpuidFamily() { return version() >= 3 ? raw[0x188] & 0xFF : 0; }

    public int cpuidModel() { return version() >= 3 ? raw[0x189] & 0xFF : 0; }

    public int cpuidStepping() { return version() >= 3 ? raw[0x18A] & 0xFF : 0; }

    /** Identifies the chip (zeros when MASK_CHIP_ID was set); a VCEK certificate names it as its hwID. */
    public byte[] chipId() { return slice(0x1A0, 64); }

    public TcbVersion committedTcb() { return TcbVersion.decode(b.getLong(0x1E0), turin()); }

    /** Firmware version as major.minor.build. */
    public String currentVersion() { return (raw[0x1EA] & 0xFF) + "." + (raw[0x1E9] & 0xFF) + "." + (raw[0x1E8] & 0xFF); }

    public String committedVersion() { return (raw[0x1EE] & 0xFF) + "." + (raw[0x1ED] & 0xFF) + "." + (raw[0x1EC] & 0xFF); }

    public TcbVersion launchTcb() { return TcbVersion.decode(b.getLong(0x1F0), turin()); }

    /** The bytes the signature covers. */
    public byte[] signedBytes() { return slice(0, SIGNED_BYTES); }

    /** The signature's R and S (72-byte little-endian fields at 0x2A0 and 0x2E8). */
    public BigInteger signatureR() { return littleEndian(0x2A0, 72); }

    public BigInteger signatureS() { return littleEndian(0x2E8, 72); }

    /**
     * The signature as the JDK's {@code SHA384withECDSAinP1363Format} takes it: R then S, 48 big-endian bytes
     * each. A value that does not fit in 48 bytes cannot be a P-384 signature.
     */
    public byte[] signatureP1363() {
        byte[] out = new byte[96];
        for (int i = 0; i < 72; i++) {
            byte r = raw[0x2A0 + i], s = raw[0x2E8 + i];
            if (i >= 48) {
                if (r != 0 || s != 0) throw new AttestationException("the report's signature is not a P-384 signature");
                continue;
            }
            out[47 - i] = r;
            out[95 - i] = s;
        }
        return out;
    }

    /** Turin (family 1Ah) packs its TCB differently; reports before version 3 name no family and come from earlier chips. */
    public boolean turin() { return cpuidFamily() == 0x1A; }

    @Override
    public String toString() {
        return "SEV-SNP report v" + version() + ", measurement " + HexFormat.of().formatHex(measurement()) + ", TCB " + reportedTcb()
                + ", VMPL " + vmpl() + (debugAllowed() ? ", DEBUG" : "");
    }

    private byte[] slice(int at, int n) {
        return Arrays.copyOfRange(raw, at, at + n);
    }

    private BigInteger littleEndian(int at, int n) {
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) be[i] = raw[at + n - 1 - i];
        return new BigInteger(1, be);
    }

    /** Writes a P1363 signature (R then S, 48 big-endian bytes each) into a report's signature field. */
    static void putSignature(byte[] report, byte[] p1363) {
        Arrays.fill(report, SIGNED_BYTES, SIZE, (byte) 0);
        for (int i = 0; i < 48; i++) {
            report[0x2A0 + i] = p1363[47 - i];
            report[0x2E8 + i] = p1363[95 - i];
        }
    }
}
