package dev.veil.cli.identity;

import dev.veil.bench.SchemeBench;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import java.util.Map;

/**
 * The identity scheme's own bench, registered by one line ({@code src/test/seam/META-INF/services/dev.veil.bench.SchemeBench})
 * and named nowhere else: {@code veil bench identity} runs it. It makes its scheme from the registry and reports what
 * the command gave it.
 */
public final class IdentityBench implements SchemeBench {
    @Override public String mode() { return "identity"; }

    @Override
    public int run(Request r, Map<String, String> given) {
        var params = new SchemeParams(given);
        var scheme = Schemes.type("identity").create(params);
        params.checkAllRead("identity");
        System.out.printf("identity bench: %s, %d servers, -p %d -n %d -r %d --warmup %d, main %s%n", r.model().getFileName(),
                scheme.servers(), r.promptTokens(), r.genTokens(), r.repetitions(), r.warmup(), r.serverMain());
        return 0;
    }
}
