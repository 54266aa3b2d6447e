package dev.veil.bench.remo;

import dev.veil.bench.SchemeBench;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import dev.veil.node.remo.RemoScheme;
import java.util.Map;

/** remo's benches, one per {@code veil bench} subcommand: each makes remo from the registry and checks every parameter applied. */
public final class RemoModes {
    private RemoModes() {}

    /** remo over loopback TCP against the plain engine. */
    public static final class Remo implements SchemeBench {
        @Override public String mode() { return "remo"; }

        @Override
        public int run(Request r, Map<String, String> given) throws Exception {
            var params = new SchemeParams(given);
            var remo = (RemoScheme) Schemes.type("remo").create(params);
            params.checkAllRead("remo");
            return new RemoBench(r.model(), r.tokenizer(), r.promptTokens(), r.genTokens(), r.repetitions(), r.warmup(), remo,
                    r.sweepM()).run();
        }
    }

    /** An honest remo node beside peers that never read. */
    public static final class Hostile implements SchemeBench {
        @Override public String mode() { return "hostile"; }

        @Override
        public int run(Request r, Map<String, String> given) throws Exception {
            var params = new SchemeParams(given);
            var remo = (RemoScheme) Schemes.type("remo").create(params);
            params.checkAllRead("remo");
            return new HostileBench(r.model(), r.tokenizer(), remo, r.hostilePeers(), r.duration(), r.genTokens(), r.serverMain()).run();
        }
    }
}
