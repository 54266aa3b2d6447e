package dev.veil.cli;

import dev.veil.engine.Parallel;
import dev.veil.engine.inference.KVCache;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The engine's settings for this process, shared by the commands that run it: the kernels' thread pool and the KV
 * cache's type. Both take effect as the option is parsed, before the engine first runs.
 */
final class EngineOptions {
    @Spec(Spec.Target.MIXEE) CommandSpec spec;
    /** The options as given, for a child process that must run the engine alike. */
    private final java.util.List<String> given = new java.util.ArrayList<>();

    @Option(names = "--threads", paramLabel = "N",
            description = "kernel threads (default: -Dveil.threads, else the number of processors)")
    void threads(int n) {
        try {
            Parallel.configure(n);
            given.addAll(java.util.List.of("--threads", String.valueOf(n)));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ParameterException(spec.commandLine(), "--threads: " + e.getMessage());
        }
    }

    @Option(names = "--kv-type", paramLabel = "f16|f32", defaultValue = "f32",
            description = "how the KV cache stores keys and values; f16 takes half the memory (default: ${DEFAULT-VALUE})")
    void kvType(String type) {
        try {
            KVCache.setDefaultType(KVCache.Type.parse(type));
            given.addAll(java.util.List.of("--kv-type", type));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--kv-type: " + e.getMessage());
        }
    }

    java.util.List<String> given() {
        return java.util.List.copyOf(given);
    }
}
