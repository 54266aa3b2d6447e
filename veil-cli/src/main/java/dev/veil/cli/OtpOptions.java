package dev.veil.cli;

import dev.veil.engine.ring.Numeric;
import dev.veil.node.otp.OtpConfig;
import picocli.CommandLine.Option;

/** remo-otp's settings: pad pools and their producers, and Freivalds' check. */
final class OtpOptions {
    @Option(names = "--pool-rows", defaultValue = "" + OtpConfig.DEFAULT_POOL_ROWS,
            description = "remo-otp: pad rows kept ready per weight matrix (one per token) (default: ${DEFAULT-VALUE})")
    int poolRows;

    @Option(names = "--pool-batch", defaultValue = "" + OtpConfig.DEFAULT_BATCH_ROWS,
            description = "remo-otp: pad rows made per pass over a weight matrix (default: ${DEFAULT-VALUE})")
    int batchRows;

    @Option(names = "--producers", defaultValue = "1",
            description = "remo-otp: background threads making pads; 0 makes every pad when it is needed (default: ${DEFAULT-VALUE})")
    int producers;

    @Option(names = "--check-rate", defaultValue = "1",
            description = "remo-otp: share of calls whose reply is checked with Freivalds' test (default: ${DEFAULT-VALUE})")
    double checkRate;

    @Option(names = "--check-bits", defaultValue = "" + OtpConfig.DEFAULT_CHECK_BITS,
            description = "remo-otp: a wrong reply to a checked call passes with probability at most 2^-bits (default: ${DEFAULT-VALUE})")
    int checkBits;

    @Option(names = "--rotate-after", defaultValue = "" + OtpConfig.DEFAULT_ROTATE_AFTER,
            description = "remo-otp: checks of a matrix before its secret vectors are redrawn (default: ${DEFAULT-VALUE})")
    int rotateAfter;

    @Option(names = "--retries", defaultValue = "" + OtpConfig.DEFAULT_RETRIES,
            description = "remo-otp: fresh attempts after a reply fails a check (default: ${DEFAULT-VALUE})")
    int retries;

    OtpConfig config(Numeric numeric) {
        return new OtpConfig(numeric, poolRows, batchRows, producers, checkRate, checkBits, rotateAfter, retries);
    }
}
