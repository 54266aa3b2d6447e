package dev.veil.engine.ring;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stream of ring elements from a 32-byte seed: AES-256 in counter mode (zero IV) over the seed as key, read as
 * little-endian elements. It is the one construction a trusted node and a weights server must agree on to expand a
 * share sent as a seed ({@code SEEDED_LINEAR}, PROTOCOL.md), so it lives here, beside the ring, where both can use it.
 * The JDK's AES-CTR runs on AES-NI (1.4 to 3.3 GB/s on the development machine; docs/shares.md). Not thread-safe.
 */
public final class RingStream {
    public static final int SEED_BYTES = 32;
    private static final int CHUNK = 1 << 14;
    private final Cipher cipher;
    private final byte[] zeros = new byte[CHUNK], block = new byte[CHUNK];
    private final ByteBuffer view = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);

    public RingStream(byte[] seed) {
        if (seed.length != SEED_BYTES) throw new IllegalArgumentException("a seed has " + SEED_BYTES + " bytes, got " + seed.length);
        try {
            cipher = Cipher.getInstance("AES/CTR/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(new byte[16]));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no AES-CTR: " + e.getMessage(), e);
        }
    }

    /** The first {@code count} elements of {@code seed}'s stream over {@code ring}. */
    public static long[] expand(Ring ring, byte[] seed, int count) {
        long[] v = new long[count];
        new RingStream(seed).fill(ring, v, count);
        return v;
    }

    /** Fills v[0, count) with the next elements of the stream (canonical representatives). */
    public void fill(Ring ring, long[] v, int count) {
        int perChunk = CHUNK / ring.bytes();
        for (int at = 0; at < count; at += perChunk) {
            int k = Math.min(perChunk, count - at);
            next(k * ring.bytes());
            if (ring == Ring.Z64) {
                view.clear();
                view.asLongBuffer().get(v, at, k);
            } else {
                for (int i = 0; i < k; i++) v[at + i] = view.getInt(4 * i);
            }
        }
    }

    /** The next {@code out.length} bytes of the stream. */
    public void nextBytes(byte[] out) {
        for (int at = 0; at < out.length; at += CHUNK) {
            int k = Math.min(CHUNK, out.length - at);
            next(k);
            System.arraycopy(block, 0, out, at, k);
        }
    }

    private void next(int bytes) {
        try {
            cipher.update(zeros, 0, bytes, block, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CTR failed: " + e.getMessage(), e);
        }
    }
}
