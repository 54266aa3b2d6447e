package dev.veil.node.shares;

import dev.veil.engine.ring.Numeric;

/**
 * How a shares node splits and checks.
 *
 * @param numeric    the ring (exact modes only: a share must be uniform over a finite group)
 * @param checkBits  λ: a wrong reply passes the call's check rows with probability at most 2^-λ; 0 sends none
 * @param maxRetries fresh attempts after the replies fail a check, before the call fails
 * @param seedB      server B's share travels as a 32-byte seed B expands ({@code SEEDED_LINEAR}); false sends its rows
 */
public record SharesConfig(Numeric numeric, int checkBits, int maxRetries, boolean seedB) {
    /**
     * 2^-20 per call: a server that alters a reply is caught but with probability 2^-20, reported, and the call
     * retried; 2^-40 cost 1.5 times the wire and node CPU of 2^-20 at 187M parameters (BENCHMARKS.md).
     */
    public static final int DEFAULT_CHECK_BITS = 20, DEFAULT_RETRIES = 2;

    public SharesConfig {
        if (!numeric.exact()) throw new IllegalArgumentException("shares split over a ring: use --numeric exact (Z_2^64) or z32, not "
                + numeric);
        if (checkBits < 0 || checkBits > 256) throw new IllegalArgumentException("check bits must be within 0..256, got " + checkBits);
        if (maxRetries < 0) throw new IllegalArgumentException("retries must be 0 or more, got " + maxRetries);
    }

    /** B's share as a seed. */
    public SharesConfig(Numeric numeric, int checkBits, int maxRetries) {
        this(numeric, checkBits, maxRetries, true);
    }

    /** Every call checked to 2^-20, 2 retries, B's share as a seed. */
    public static SharesConfig of(Numeric numeric) {
        return new SharesConfig(numeric, DEFAULT_CHECK_BITS, DEFAULT_RETRIES);
    }
}
