package dev.veil.cli;

import dev.veil.node.Scheme;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import dev.veil.node.otp.OtpConfig;
import dev.veil.node.remo.RemoScheme;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --scheme} and every scheme's parameters, for the commands that run one. Options left out take the
 * scheme's defaults; an option the chosen scheme does not take is an error ({@link Schemes#create}).
 */
final class SchemeOptions {
    @Spec CommandSpec spec; // the mixin's own options

    @Option(names = "--scheme", paramLabel = "NAME",
            description = "plain, remo, remo-otp or cmif (default: " + Schemes.DEFAULT + ")")
    String scheme;

    @Option(names = {"--m", "--m-fraction"}, paramLabel = "M",
            description = "remo: rank of each public base, a fraction of d_in (1/8, 0.125) or a count (8) (default: " + RemoScheme.DEFAULT_M + ")")
    String m;

    @Option(names = "--numeric", paramLabel = "MODE",
            description = "plain, remo: float (default) or exact (ring Z_2^64) or z32; remo-otp: exact (default) or z32")
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
            description = "remo-otp: a wrong checked reply passes with probability at most 2^-B (default: " + OtpConfig.DEFAULT_CHECK_BITS + ")")
    String checkBits;

    @Option(names = "--rotate-after", paramLabel = "N",
            description = "remo-otp: checks of a matrix before its secret vectors are redrawn (default: " + OtpConfig.DEFAULT_ROTATE_AFTER + ")")
    String rotateAfter;

    @Option(names = "--retries", paramLabel = "N",
            description = "remo-otp: fresh attempts after a reply fails its check (default: " + OtpConfig.DEFAULT_RETRIES + ")")
    String retries;

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

    @Option(names = "--sensitive-share", paramLabel = "S", description = "cmif: least frequent share of tokens always sanitized (default: 0.2)")
    String sensitiveShare;

    @Option(names = "--corpus", paramLabel = "FILE",
            description = "cmif: text whose token frequencies pick the sensitive tokens, one per line (default: the shared SST-2 training set)")
    String corpus;

    /** The scheme chosen (else {@code fallback}) with the parameters given. */
    Scheme scheme(String fallback) {
        String name = scheme != null ? scheme : fallback;
        return Schemes.create(name, new SchemeParams(given()));
    }

    /** The scheme parameters given on the command line, by name without the dashes. */
    Map<String, String> given() {
        Map<String, String> given = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            String key = o.names()[0].substring(2);
            if (!key.equals("scheme") && o.getValue() != null) given.put(key, o.getValue().toString());
        }
        return given;
    }

    /** The scheme chosen, else the default (one at the privacy floor). */
    Scheme scheme() {
        return scheme(Schemes.DEFAULT);
    }
}
