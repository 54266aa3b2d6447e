package dev.veil.trust;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Arrays;

/**
 * What Veil puts in a report's 64-byte REPORT_DATA: SHA-256 of the node's TLS public key (its DER
 * SubjectPublicKeyInfo) in bytes 0..31, the verifier's 32-byte nonce in bytes 32..63. The first half binds
 * the evidence to the TLS channel it arrives on (only the holder of that key can have completed the
 * handshake), the second makes it fresh.
 */
public final class ReportData {
    public static final int NONCE_BYTES = 32;

    private ReportData() {}

    public static byte[] bind(PublicKey tlsKey, byte[] nonce) {
        if (nonce.length != NONCE_BYTES) throw new IllegalArgumentException("a nonce is " + NONCE_BYTES + " bytes, got " + nonce.length);
        byte[] data = Arrays.copyOf(keyHash(tlsKey), 64);
        System.arraycopy(nonce, 0, data, 32, NONCE_BYTES);
        return data;
    }

    public static byte[] keyHash(PublicKey key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
