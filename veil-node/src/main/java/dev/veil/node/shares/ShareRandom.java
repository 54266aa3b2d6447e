package dev.veil.node.shares;

import dev.veil.engine.ring.Ring;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.DrbgParameters;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The randomness of shares: AES-256 in counter mode, keyed per session from the JDK's DRBG (seeded from the
 * system's entropy source). Shares take 8 bytes per element of every linear input, so the generator must be
 * fast: the JDK's AES-CTR runs on AES-NI (about 1.3 to 3.3 GB/s on this machine under load, against 0.4 GB/s for
 * its ChaCha20 and 0.05 GB/s for the DRBG itself; docs/shares.md). One per session, not thread-safe.
 */
final class ShareRandom {
    private static final int CHUNK = 1 << 14;
    private final Cipher cipher;
    private final byte[] zeros = new byte[CHUNK], block = new byte[CHUNK];
    private final ByteBuffer view = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);

    ShareRandom() {
        try {
            var drbg = SecureRandom.getInstance("DRBG", DrbgParameters.instantiation(256, DrbgParameters.Capability.NONE,
                    "veil-shares".getBytes()));
            byte[] key = new byte[32];
            drbg.nextBytes(key);
            cipher = Cipher.getInstance("AES/CTR/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no DRBG or AES-CTR: " + e.getMessage(), e);
        }
    }

    /** Fills v[0, count) with elements uniform over the ring (canonical representatives). */
    void fill(Ring ring, long[] v, int count) {
        int perChunk = CHUNK / ring.bytes();
        for (int at = 0; at < count; at += perChunk) {
            int k = Math.min(perChunk, count - at);
            try {
                cipher.update(zeros, 0, k * ring.bytes(), block, 0);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-CTR failed: " + e.getMessage(), e);
            }
            if (ring == Ring.Z64) {
                view.clear();
                view.asLongBuffer().get(v, at, k);
            } else {
                for (int i = 0; i < k; i++) v[at + i] = view.getInt(4 * i);
            }
        }
    }

    long[] ring(Ring ring, int count) {
        long[] v = new long[count];
        fill(ring, v, count);
        return v;
    }
}
