package dev.veil.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A bench that {@code veil bench MODE} runs on schemes' internals (pools, pads, wire bytes), registered by a
 * line in {@code META-INF/services/dev.veil.bench.SchemeBench}: the command names none of them, nor their
 * schemes, which each bench makes from the registry.
 */
public interface SchemeBench {
    /** The {@code veil bench} subcommand that runs it. */
    String mode();

    /** Makes its schemes from the registry with the parameters {@code given} (each must apply to one of them), and runs. */
    int run(Request request, Map<String, String> given) throws Exception;

    /**
     * What the bench command was given; a bench reads what applies to it.
     *
     * @param serverMain the main class whose {@code weights-server} command a server process runs (the CLI's)
     */
    record Request(Path model, Path tokenizer, int promptTokens, int genTokens, int repetitions, int warmup, Duration duration,
                   int hostilePeers, List<Double> sweepM, List<Integer> sweepBatch, boolean noRemo, List<Integer> sweepCheckBits,
                   String serverMain) {}

    /** Every registered bench, in registration order. */
    static List<SchemeBench> all() {
        return ServiceLoader.load(SchemeBench.class, SchemeBench.class.getClassLoader()).stream().map(ServiceLoader.Provider::get)
                .toList();
    }

    static Optional<SchemeBench> of(String mode) {
        return all().stream().filter(b -> b.mode().equals(mode)).findFirst();
    }
}
