package dev.veil.node.otp;

import dev.veil.engine.ring.Numeric;

/**
 * How a one-time-pad node masks and checks.
 *
 * @param numeric     the ring (exact modes only: a one-time pad needs a finite group to be uniform over)
 * @param poolRows    pads kept ready per weight matrix, in rows (one row serves one token of one call)
 * @param batchRows   rows a producer computes per pass over a weight matrix
 * @param producers   background producer threads shared by all matrices; 0 computes every pad when it is needed
 * @param checkRate   share of calls whose reply gets Freivalds' check (drawn secretly per call); retries always do
 * @param checkBits   λ: a wrong reply to a checked call passes with probability at most 2^-λ (docs/otp.md)
 * @param rotateAfter checks of a matrix before its secret vectors are redrawn (they are also redrawn after a fault)
 * @param maxRetries  fresh attempts after a reply fails a check, before the call fails
 */
public record OtpConfig(Numeric numeric, int poolRows, int batchRows, int producers, double checkRate, int checkBits, int rotateAfter,
                        int maxRetries) {
    public OtpConfig {
        if (!numeric.exact()) throw new IllegalArgumentException("remo-otp masks over a ring: use --numeric exact (Z_2^64) or z32");
        if (poolRows < 1 || batchRows < 1 || batchRows > poolRows) {
            throw new IllegalArgumentException("need a pool of at least 1 row and a batch of 1..pool rows, got pool " + poolRows + ", batch " + batchRows);
        }
        if (producers < 0) throw new IllegalArgumentException("producers must be 0 or more, got " + producers);
        if (!(checkRate >= 0 && checkRate <= 1)) throw new IllegalArgumentException("check rate must be within [0, 1], got " + checkRate);
        if (checkBits < 1 || checkBits > 256) throw new IllegalArgumentException("check bits must be within 1..256, got " + checkBits);
        if (rotateAfter < 1 || maxRetries < 0) throw new IllegalArgumentException("need rotate-after >= 1 and retries >= 0");
    }

    public static final int DEFAULT_POOL_ROWS = 64, DEFAULT_BATCH_ROWS = 16, DEFAULT_CHECK_BITS = 40, DEFAULT_ROTATE_AFTER = 1024,
            DEFAULT_RETRIES = 2;

    /** Pools of 64 rows filled 16 at a time by one producer; every call checked to 2^-40; 2 retries. */
    public static OtpConfig of(Numeric numeric) {
        return new OtpConfig(numeric, DEFAULT_POOL_ROWS, DEFAULT_BATCH_ROWS, 1, 1.0, DEFAULT_CHECK_BITS, DEFAULT_ROTATE_AFTER, DEFAULT_RETRIES);
    }

    public OtpConfig withPool(int rows, int batch, int producerThreads) {
        return new OtpConfig(numeric, rows, batch, producerThreads, checkRate, checkBits, rotateAfter, maxRetries);
    }

    public OtpConfig withChecks(double rate, int bits, int rotate, int retries) {
        return new OtpConfig(numeric, poolRows, batchRows, producers, rate, bits, rotate, retries);
    }
}
