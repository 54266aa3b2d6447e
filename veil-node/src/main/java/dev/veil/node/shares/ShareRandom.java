package dev.veil.node.shares;

import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingStream;
import java.security.DrbgParameters;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * The randomness of shares: a session stream (AES-256 in counter mode, {@link RingStream}) keyed per session from
 * the JDK's DRBG (seeded from the system's entropy source). Shares take 8 bytes per element of every linear input,
 * so the generator must be fast: the JDK's AES-CTR runs on AES-NI (about 1.3 to 3.3 GB/s on this machine under
 * load, against 0.4 GB/s for its ChaCha20 and 0.05 GB/s for the DRBG itself; docs/shares.md). Server B's share
 * of a call is the stream of a fresh per-call seed drawn from the session stream ({@link #seed()}), so B can be sent
 * the seed and expand it itself. One per session, not thread-safe.
 */
final class ShareRandom {
    private final RingStream session;

    ShareRandom() {
        try {
            var drbg = SecureRandom.getInstance("DRBG", DrbgParameters.instantiation(256, DrbgParameters.Capability.NONE,
                    "veil-shares".getBytes()));
            byte[] key = new byte[RingStream.SEED_BYTES];
            drbg.nextBytes(key);
            session = new RingStream(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no DRBG: " + e.getMessage(), e);
        }
    }

    long[] ring(Ring ring, int count) {
        long[] v = new long[count];
        session.fill(ring, v, count);
        return v;
    }

    /** A fresh per-call seed: the next 32 bytes of the session stream. */
    byte[] seed() {
        byte[] seed = new byte[RingStream.SEED_BYTES];
        session.nextBytes(seed);
        return seed;
    }
}
