package dev.veil.bench;

import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import dev.veil.node.otp.OtpScheme;
import dev.veil.node.remo.RemoScheme;
import dev.veil.node.shares.SharesScheme;
import java.util.Map;

/**
 * The scheme benches, one per {@code veil bench} subcommand: each makes its schemes from the registry and checks every
 * parameter applied.
 */
public final class BenchModes {
    private BenchModes() {}

    /** The node's CPU per token under plain, remo and remo-otp; remo beside it over the ring unless --numeric says. */
    public static final class RemoOtp implements SchemeBench {
        @Override public String mode() { return "remo-otp"; }

        @Override
        public int run(Request r, Map<String, String> given) throws Exception {
            var params = new SchemeParams(given, Map.of("numeric", "exact"));
            var remo = (RemoScheme) Schemes.type("remo").create(params);
            var otp = (OtpScheme) Schemes.type("remo-otp").create(params);
            params.checkAllRead("remo, remo-otp");
            return new OtpBench(r.model(), r.tokenizer(), r.genTokens(), r.repetitions(), r.warmup(), remo, otp, r.sweepBatch(),
                    r.serverMain()).run();
        }
    }

    /** As remo-otp, with two-server shares too, and wire bytes against the minimum. */
    public static final class Shares implements SchemeBench {
        @Override public String mode() { return "shares"; }

        @Override
        public int run(Request r, Map<String, String> given) throws Exception {
            var params = new SchemeParams(given, Map.of("numeric", "exact"));
            var remo = (RemoScheme) Schemes.type("remo").create(params);
            var otp = (OtpScheme) Schemes.type("remo-otp").create(params);
            var shares = (SharesScheme) Schemes.type("shares").create(params);
            params.checkAllRead("remo, remo-otp, shares");
            return new SharesBench(r.model(), r.tokenizer(), r.genTokens(), r.repetitions(), r.warmup(), remo, otp, shares, !r.noRemo(),
                    r.sweepCheckBits(), r.serverMain()).run();
        }
    }
}
