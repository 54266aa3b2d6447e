package dev.veil.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The parser and AMD chain against a real SEV-SNP report from a Milan host with the VCEK that signed it
 * (virtee/sev's test vectors, commit 9cf2adb: tests/certs_data/report_milan.hex and vcek_milan.der) and
 * AMD's published Milan ARK and ASK (bundled).
 */
class SnpReportTest {
    static final HexFormat HEX = HexFormat.of();

    static byte[] milanReport() throws Exception {
        try (var in = SnpReportTest.class.getResourceAsStream("virtee/report_milan.hex")) {
            return HEX.parseHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip().toLowerCase());
        }
    }

    static String milanVcek() throws Exception {
        try (var in = SnpReportTest.class.getResourceAsStream("virtee/vcek_milan.der")) {
            return Pem.encode(Pem.certificates(in.readAllBytes()));
        }
    }

    @Test
    void parsesEveryFieldOfARealMilanReport() throws Exception {
        var r = SnpReport.parse(milanReport());
        assertEquals(2, r.version());
        assertEquals(0, r.guestSvn());
        assertEquals(0x30000L, r.policy()); // SMT allowed, reserved bit 17 set; no debug, no migration agent
        assertFalse(r.debugAllowed());
        assertArrayEquals(new byte[16], r.familyId());
        assertArrayEquals(new byte[16], r.imageId());
        assertEquals(0, r.vmpl());
        assertEquals(SnpReport.ECDSA_P384_SHA384, r.signatureAlgorithm());
        assertEquals(new TcbVersion(0, 3, 0, 8, 115), r.currentTcb());
        assertEquals(1L, r.platformInfo()); // SMT enabled
        assertEquals(SnpReport.SIGNED_BY_VCEK, r.signingKey());
        assertFalse(r.chipKeyMasked());
        assertFalse(r.authorKeyEnabled());
        assertEquals("d447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c645810b0f2cdfca0040433be063fc1a8293f0"
                + "f3f8dae7b79fecb3d1cd82bd6a93ebfd", HEX.formatHex(r.reportData()));
        assertEquals("7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f",
                HEX.formatHex(r.measurement()));
        assertArrayEquals(new byte[32], r.hostData());
        assertArrayEquals(new byte[48], r.idKeyDigest());
        assertArrayEquals(new byte[48], r.authorKeyDigest());
        assertEquals("92b3b47d59f0a2a10a74c5678868a80238cf593c01a82f3cffb878e904c28d5b", HEX.formatHex(r.reportId()));
        assertArrayEquals(filled(32, 0xFF), r.reportIdMa()); // no migration agent
        assertEquals(new TcbVersion(0, 3, 0, 8, 115), r.reportedTcb());
        assertEquals(0, r.cpuidFamily()); // version 2 reports name no CPUID
        assertEquals("d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e24"
                + "4324884738c72b082e2f87a44d541eb6", HEX.formatHex(r.chipId()));
        assertEquals(new TcbVersion(0, 3, 0, 8, 115), r.committedTcb());
        assertEquals("1.52.4", r.currentVersion());
        assertEquals("1.52.4", r.committedVersion());
        assertEquals(new TcbVersion(0, 3, 0, 8, 115), r.launchTcb());
        // R and S are little-endian at 0x2A0 and 0x2E8: the file's bytes 61ab4f..8272 and 209d7e..bf49, reversed
        assertEquals("72827fd0029b56ee2b7dec81480554cb05c0379cc2cb70e13da66ea9b7ee4044d54a2af43d235f62971966aa114fab61",
                r.signatureR().toString(16));
        assertEquals(reversed("209d7eb9be919a1d0baf1d57fe6ebfeabbc53b778c6e977e40b15ca931bb6d44c5ab9e30cfdc7346cb41ac083b90bf49"),
                r.signatureS().toString(16));
        assertArrayEquals(milanReport(), r.bytes());
    }

    @Test
    void aRealMilanReportVerifiesAgainstAmdsRootKeys() throws Exception {
        String measurement = "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f";
        var policy = AttestationPolicy.parse("measurement = " + measurement + "\nmin-tcb = bootloader:3,tee:0,snp:8,microcode:115\n");
        var verifier = new AttestationVerifier(policy, AmdChain.bundled(), false, Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"),
                ZoneOffset.UTC));
        var evidence = new Evidence(Evidence.Kind.SEV_SNP, milanReport(), milanVcek());
        var anyKey = KeyPairGenerator.getInstance("EC").generateKeyPair().getPublic();
        // signature, chain to AMD's Milan ARK, VCEK's TCB and chip id and the policy all pass; only the binding is not ours
        var e = assertThrows(AttestationException.class, () -> verifier.verify(evidence, anyKey, new byte[32]));
        assertEquals("the evidence is bound to another TLS key, not this connection's", e.getMessage());

        byte[] tampered = milanReport();
        tampered[21] ^= (byte) 0x80; // virtee/sev's own tamper test: a policy bit
        var bad = assertThrows(AttestationException.class,
                () -> verifier.verify(new Evidence(Evidence.Kind.SEV_SNP, tampered, milanVcek()), anyKey, new byte[32]));
        assertEquals("the report's signature does not verify", bad.getMessage());

        var stricter = new AttestationVerifier(AttestationPolicy.parse("measurement = " + measurement + "\nmin-tcb = snp:9\n"),
                AmdChain.bundled(), false, Clock.systemUTC());
        assertTrue(assertThrows(AttestationException.class, () -> stricter.verify(evidence, anyKey, new byte[32])).getMessage()
                .startsWith("TCB bootloader:3,tee:0,snp:8,microcode:115 is below the policy's minimum"));
    }

    @Test
    void theBundledRootsAreAmdsAndTheMilanVcekChainsOnlyToMilan() throws Exception {
        var roots = AmdChain.bundled();
        assertEquals(List.of("milan", "genoa", "turin"), roots.stream().map(AmdChain.Root::product).toList());
        for (var r : roots) assertTrue(r.ark().getSubjectX500Principal().getName().contains("Advanced Micro Devices"));
        var vcek = Pem.certificates(milanVcek().getBytes(StandardCharsets.US_ASCII));
        assertEquals(vcek.getFirst(), AmdChain.verify(vcek, roots, Instant.parse("2025-01-01T00:00:00Z")));
        var genoaOnly = roots.subList(1, 3);
        assertThrows(AttestationException.class, () -> AmdChain.verify(vcek, genoaOnly, Instant.parse("2025-01-01T00:00:00Z")));
        // the VCEK expires in April 2030
        assertTrue(assertThrows(AttestationException.class, () -> AmdChain.verify(vcek, roots, Instant.parse("2031-01-01T00:00:00Z")))
                .getMessage().contains("is not valid now"));
    }

    @Test
    void malformedReportsAreOneLineErrors() throws Exception {
        assertEquals("an SEV-SNP report is 1184 bytes, got 12", assertThrows(AttestationException.class,
                () -> SnpReport.parse(new byte[12])).getMessage());
        byte[] v1 = milanReport();
        v1[0] = 1;
        assertEquals("SEV-SNP report version 1 is not supported (2 and later)", assertThrows(AttestationException.class,
                () -> SnpReport.parse(v1)).getMessage());
    }

    @Test
    void tcbLayoutsOfMilanAndTurin() {
        long raw = 0x7300000000000803L | 0x0000000000040000L;
        assertEquals(new TcbVersion(3, 8, 4, 0, 0x73), TcbVersion.decode(raw, true)); // Turin: fmc, bootloader, tee, snp in bytes 0-3
        assertEquals(new TcbVersion(0, 3, 8, 0, 0x73), TcbVersion.decode(raw, false)); // Milan/Genoa: snp in byte 6
        assertEquals(new TcbVersion(0, 3, 0, 8, 115), TcbVersion.parse("bootloader:3, snp:8,microcode:115"));
        assertTrue(new TcbVersion(0, 3, 0, 8, 115).atLeast(TcbVersion.parse("snp:8")));
        assertFalse(new TcbVersion(0, 3, 0, 8, 115).atLeast(TcbVersion.parse("tee:1")));
        assertThrows(IllegalArgumentException.class, () -> TcbVersion.parse("firmware:3"));
    }

    static String reversed(String hex) {
        byte[] b = HEX.parseHex(hex);
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) r[i] = b[b.length - 1 - i];
        return new java.math.BigInteger(1, r).toString(16);
    }

    static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }
}
