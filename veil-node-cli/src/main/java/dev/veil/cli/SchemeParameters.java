package dev.veil.cli;

import dev.veil.node.otp.OtpConfig;
import dev.veil.node.remo.RemoScheme;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Every scheme's parameters as options (by the names {@link dev.veil.node.SchemeParams} reads): the values given,
 * for the registry to validate. Options left out take the scheme's defaults.
 */
final class SchemeParameters {
    @Spec CommandSpec spec; // this mixin's own options: the parameters

    @Option(names = {"--m", "--m-fraction"}, paramLabel = "M",
            description = "remo: rank of each public base, a fraction of d_in (1/8, 0.125) or a count (8) "
                    + "(default: " + RemoScheme.DEFAULT_M + ")")
    String m;

    @Option(names = "--numeric", paramLabel = "MODE",
            description = "plain, remo: float (default) or exact (ring Z_2^64) or z32; remo-otp, shares: exact (default) or z32")
    String numeric;

    @Option(names = "--mask-scale", paramLabel = "σ", description = "remo, float mode: standard deviation of a mask entry (default: 1)")
    String maskScale;

    @Option(names = "--pool-rows", paramLabel = "N",
            description = "remo-otp: pad rows kept ready per weight matrix (default: " + OtpConfig.DEFAULT_POOL_ROWS + ")")
    String poolRows;

    @Option(names = "--pool-batch", paramLabel = "N",
            description = "remo-otp: pad rows made per pass over a weight matrix (default: " + OtpConfig.DEFAULT_BATCH_ROWS + ")")
    String poolBatch;

    @Option(names = "--producers", paramLabel = "N",
            description = "remo-otp: background threads making pads; 0 makes each pad when needed (default: 1)")
    String producers;

    @Option(names = "--check-rate", paramLabel = "R", description = "remo-otp: share of calls checked with Freivalds' test (default: 1)")
    String checkRate;

    @Option(names = "--check-bits", paramLabel = "B",
            description = "remo-otp, shares: a wrong checked reply passes with probability at most 2^-B (shares: 0 sends no check rows) "
                    + "(default: remo-otp " + OtpConfig.DEFAULT_CHECK_BITS + ", shares "
                    + dev.veil.node.shares.SharesConfig.DEFAULT_CHECK_BITS + ")")
    String checkBits;

    @Option(names = "--rotate-after", paramLabel = "N",
            description = "remo-otp: checks of a matrix before its secret vectors are redrawn "
                    + "(default: " + OtpConfig.DEFAULT_ROTATE_AFTER + ")")
    String rotateAfter;

    @Option(names = "--retries", paramLabel = "N",
            description = "remo-otp, shares: fresh attempts after a reply fails its check (default: " + OtpConfig.DEFAULT_RETRIES + ")")
    String retries;

    @Option(names = "--share-b", paramLabel = "HOW",
            description = "shares: how server B's share travels: seed (32 bytes B expands itself, the default) or rows")
    String shareB;

    @Option(names = "--sanitizer", paramLabel = "NAME", description = "cmif: rnm (default), santext+ or custext+")
    String sanitizer;

    @Option(names = "--epsilon", paramLabel = "ε", description = "cmif: ε per sanitized token, or inf for none (default: 1)")
    String epsilon;

    @Option(names = "--k", paramLabel = "K", description = "cmif: candidates per token (default: 20)")
    String k;

    @Option(names = "--p", paramLabel = "P", description = "cmif: probability of sanitizing a non-sensitive token (default: 0.3)")
    String p;

    @Option(names = "--delta", paramLabel = "Δ", description = "cmif: sensitivity of the normalized scores (default: 1)")
    String delta;

    @Option(names = "--sensitive-share", paramLabel = "S",
            description = "cmif: least frequent share of tokens always sanitized (default: 0.2)")
    String sensitiveShare;

    @Option(names = "--corpus", paramLabel = "FILE",
            description = "cmif: text whose token frequencies pick the sensitive tokens, one per line "
                    + "(default: the shared SST-2 training set)")
    String corpus;

    @Option(names = "--draws", paramLabel = "HOW", description = "cmif: consistent (default: a tenant's same token in the same context is"
            + " replaced the same way every time, so repeats give no vote) or fresh (new randomness per request)")
    String draws;

    @Option(names = "--draws-window", paramLabel = "N",
            description = "cmif: tokens on either side of a position its consistent draw depends on (default: 2)")
    String drawsWindow;

    /** The parameters given on the command line, by name ("m" → "1/8"). */
    Map<String, String> given() {
        Map<String, String> given = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            if (o.getValue() != null) given.put(o.names()[0].substring(2), o.getValue().toString());
        }
        return given;
    }
}
