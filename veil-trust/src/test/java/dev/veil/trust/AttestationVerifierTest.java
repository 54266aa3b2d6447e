package dev.veil.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every check of the verifier, each on a report or chain tampered in exactly one way. */
class AttestationVerifierTest {
    static TestAmd amd;
    static PublicKey tlsKey, otherKey;
    static final byte[] NONCE = TestAmd.filled(32, 0x42);
    static final AttestationPolicy POLICY = AttestationPolicy.parse("measurement = " + "a1".repeat(48) + "\nmin-tcb = snp:8\n");

    @BeforeAll
    static void chip() throws Exception {
        amd = new TestAmd();
        tlsKey = KeyPairGenerator.getInstance("EC").generateKeyPair().getPublic();
        otherKey = KeyPairGenerator.getInstance("EC").generateKeyPair().getPublic();
    }

    static AttestationVerifier verifier(boolean allowSimulated) {
        return new AttestationVerifier(POLICY, List.of(amd.root), allowSimulated, Clock.systemUTC());
    }

    static byte[] good() throws Exception {
        return amd.report(ReportData.bind(tlsKey, NONCE), TestAmd.MEASUREMENT, 0x30000, 0, TestAmd.TCB);
    }

    static String refusal(Evidence e) {
        return assertThrows(AttestationException.class, () -> verifier(false).verify(e, tlsKey, NONCE)).getMessage();
    }

    @Test
    void aGenuineReportBoundToThisKeyAndNonceIsAccepted() throws Exception {
        var v = verifier(false).verify(amd.evidence(good()), tlsKey, NONCE);
        assertFalse(v.simulated());
        assertTrue(v.summary().startsWith("AMD SEV-SNP: measurement " + "a1".repeat(48)), v.summary());
    }

    @Test
    void aTamperedReportFailsItsSignature() throws Exception {
        byte[] r = good();
        r[0x90] ^= 1; // the measurement, after signing
        assertEquals("the report's signature does not verify", refusal(amd.evidence(r)));
        byte[] s = good();
        s[0x2A0] ^= 1; // the signature itself
        assertEquals("the report's signature does not verify", refusal(amd.evidence(s)));
    }

    @Test
    void anUnapprovedMeasurementIsRefused() throws Exception {
        byte[] r = amd.report(ReportData.bind(tlsKey, NONCE), TestAmd.filled(48, 0xB2), 0x30000, 0, TestAmd.TCB);
        assertEquals("measurement " + "b2".repeat(48) + " is not one the policy allows", refusal(amd.evidence(r)));
    }

    @Test
    void evidenceBoundToAnotherKeyIsRefused() throws Exception {
        byte[] r = amd.report(ReportData.bind(otherKey, NONCE), TestAmd.MEASUREMENT, 0x30000, 0, TestAmd.TCB);
        assertEquals("the evidence is bound to another TLS key, not this connection's", refusal(amd.evidence(r)));
    }

    @Test
    void aStaleNonceIsRefused() throws Exception {
        byte[] r = amd.report(ReportData.bind(tlsKey, TestAmd.filled(32, 0x41)), TestAmd.MEASUREMENT, 0x30000, 0, TestAmd.TCB);
        assertEquals("the evidence carries a stale or foreign nonce", refusal(amd.evidence(r)));
    }

    @Test
    void aDebuggableGuestIsRefused() throws Exception {
        byte[] r = amd.report(ReportData.bind(tlsKey, NONCE), TestAmd.MEASUREMENT, 0x30000 | SnpReport.POLICY_DEBUG, 0, TestAmd.TCB);
        assertEquals("the guest allows debugging (policy bit DEBUG), which the policy refuses", refusal(amd.evidence(r)));
    }

    @Test
    void aReportFromAHigherVmplIsRefused() throws Exception {
        byte[] r = amd.report(ReportData.bind(tlsKey, NONCE), TestAmd.MEASUREMENT, 0x30000, 2, TestAmd.TCB);
        assertEquals("report from VMPL 2, the policy allows up to 0", refusal(amd.evidence(r)));
    }

    @Test
    void anOldTcbIsRefusedAndMustMatchTheVcek() throws Exception {
        var old = new TcbVersion(0, 3, 0, 7, 115);
        var oldChip = new TestAmd(old, TestAmd.CHIP, Instant.now().plus(Duration.ofDays(1)), false);
        var v = new AttestationVerifier(POLICY, List.of(oldChip.root), false, Clock.systemUTC());
        byte[] r = oldChip.report(ReportData.bind(tlsKey, NONCE), TestAmd.MEASUREMENT, 0x30000, 0, old);
        assertEquals("TCB bootloader:3,tee:0,snp:7,microcode:115 is below the policy's minimum bootloader:0,tee:0,snp:8,microcode:0",
                assertThrows(AttestationException.class, () -> v.verify(oldChip.evidence(r), tlsKey, NONCE)).getMessage());
        // a report claiming a newer TCB than the VCEK was derived for
        byte[] claims = oldChip.report(ReportData.bind(tlsKey, NONCE), TestAmd.MEASUREMENT, 0x30000, 0, TestAmd.TCB);
        assertTrue(assertThrows(AttestationException.class, () -> v.verify(oldChip.evidence(claims), tlsKey, NONCE)).getMessage()
                .endsWith("is not the one its VCEK was issued for"));
    }

    @Test
    void aVcekOfAnotherChipOrRootOrAnExpiredOneIsRefused() throws Exception {
        var otherChip = new TestAmd(TestAmd.TCB, TestAmd.filled(64, 0x11), Instant.now().plus(Duration.ofDays(1)), true);
        var v = new AttestationVerifier(POLICY, List.of(otherChip.root), false, Clock.systemUTC());
        byte[] r = otherChip.report(ReportData.bind(tlsKey, NONCE), TestAmd.MEASUREMENT, 0x30000, 0, TestAmd.TCB);
        assertEquals("the report's chip id is not the one its VCEK was issued for",
                assertThrows(AttestationException.class, () -> v.verify(otherChip.evidence(r), tlsKey, NONCE)).getMessage());
        // a chain to a root this verifier was not given (someone's own "AMD")
        assertTrue(refusal(otherChip.evidence(r)).endsWith("does not chain to AMD's root keys"));
        var expired = new TestAmd(TestAmd.TCB, TestAmd.CHIP, Instant.now().minusSeconds(60), false);
        var ve = new AttestationVerifier(POLICY, List.of(expired.root), false, Clock.systemUTC());
        byte[] re = expired.report(ReportData.bind(tlsKey, NONCE), TestAmd.MEASUREMENT, 0x30000, 0, TestAmd.TCB);
        assertTrue(assertThrows(AttestationException.class, () -> ve.verify(expired.evidence(re), tlsKey, NONCE)).getMessage()
                .contains("is not valid now"));
    }

    @Test
    void simulatedEvidenceIsRefusedUnlessAllowedAndThenSaysSo() throws Exception {
        var sim = new SimulatedProvider(TestAmd.MEASUREMENT, 0x30000, TestAmd.TCB);
        var e = sim.attest(ReportData.bind(tlsKey, NONCE));
        assertEquals("SIMULATED attestation refused (start the verifier with --allow-simulated-attestation to accept it)", refusal(e));
        var v = verifier(true).verify(e, tlsKey, NONCE);
        assertTrue(v.simulated());
        assertTrue(v.summary().startsWith("SIMULATED attestation (proves nothing): measurement " + "a1".repeat(48)), v.summary());
        // the simulator's reports parse as SEV-SNP reports and carry no chip's id
        assertEquals(3, SnpReport.parse(e.report()).version());
        // relabelling a simulated report as SEV-SNP does not help: no VCEK chains to AMD
        var relabelled = new Evidence(Evidence.Kind.SEV_SNP, e.report(), amd.evidence(e.report()).signers());
        assertEquals("the report's chip id is not the one its VCEK was issued for", refusal(relabelled));
        // and the simulated policy checks still apply: a debug guest, another key
        var debug = new SimulatedProvider(TestAmd.MEASUREMENT, 0x30000 | SnpReport.POLICY_DEBUG, TestAmd.TCB);
        assertThrows(AttestationException.class, () -> verifier(true).verify(debug.attest(ReportData.bind(tlsKey, NONCE)), tlsKey, NONCE));
        assertThrows(AttestationException.class, () -> verifier(true).verify(sim.attest(ReportData.bind(otherKey, NONCE)), tlsKey, NONCE));
    }

    @Test
    void policiesParseStrictly() {
        var p = AttestationPolicy.parse("measurement = " + "AB".repeat(48) + ", " + "cd".repeat(48)
                + "\nallow-debug = false\nmax-vmpl = 1\n");
        assertEquals(2, p.measurements().size());
        assertTrue(p.measurements().contains("ab".repeat(48)));
        assertEquals(1, p.maxVmpl());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AttestationPolicy.parse("measurement = " + "ab".repeat(48)
                + "\nalow-debug = true\n")).getMessage().startsWith("unknown key 'alow-debug'"));
        assertThrows(IllegalArgumentException.class, () -> AttestationPolicy.parse("measurement = abcd\n"));
        assertThrows(IllegalArgumentException.class, () -> AttestationPolicy.parse("allow-debug = false\n"));
        assertThrows(IllegalArgumentException.class, () -> AttestationPolicy.parse("measurement = " + "ab".repeat(48)
                + "\nallow-debug = yes\n"));
    }
}
