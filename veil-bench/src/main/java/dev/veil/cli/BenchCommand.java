package dev.veil.cli;

import dev.veil.bench.SchemeBench;
import dev.veil.engine.model.ModelParts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code veil bench MODE}: one subcommand per bench, each with the options it reads (an option another bench takes is
 * refused as unknown). The scheme benches (remo, remo-otp, shares, hostile) run the {@link SchemeBench} registered for
 * their name, and take the schemes' own options.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode tokens/s, memory bandwidth and peak memory (llama-bench style: veil bench plain), "
                + "or a scheme, the service or the weights server's engines against the plain engine in the same run.",
        subcommands = {PlainBench.class, BenchCommand.Remo.class, BenchCommand.RemoOtp.class, BenchCommand.Shares.class,
                BenchCommand.Hostile.class, BenchCommand.Load.class, BenchCommand.Serve.class, BenchCommand.Engines.class,
                BenchCommand.Oip.class, BenchCommand.EngineServers.class},
        modelTransformer = BenchCommand.AddRegistered.class)
final class BenchCommand {
    /**
     * A {@link SchemeBench} registered under a name no subcommand above has (a scheme's own bench, one services line and
     * no other file touched) becomes a subcommand of that name with the options every scheme bench reads.
     */
    static final class AddRegistered implements picocli.CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            for (SchemeBench bench : SchemeBench.all()) {
                if (!spec.subcommands().containsKey(bench.mode())) {
                    spec.addSubcommand(bench.mode(), CommandSpec.forAnnotatedObject(new Registered(bench.mode())));
                }
            }
            return spec;
        }
    }

    /**
     * The main class of the command line that runs this bench (veil.jar's), whose {@code weights-server} command a bench
     * starts in a child process: the root command's class, so that this module names no command above it.
     */
    static String serverMain(CommandSpec spec) {
        return spec.root().userObject().getClass().getName();
    }

    /** Timed runs after untimed warm-up runs: the same two options for every bench that repeats its test. */
    static final class Runs {
        @Option(names = {"-r", "--repetitions"}, defaultValue = "3", description = "timed runs of each test (default: ${DEFAULT-VALUE})")
        int repetitions;

        @Option(names = "--warmup", defaultValue = "1",
                description = "untimed runs of each test first, for the JIT (default: ${DEFAULT-VALUE})")
        int warmup;
    }

    /** A bench of schemes' internals, run by the {@link SchemeBench} registered under the subcommand's name. */
    abstract static class OfSchemes implements Callable<Integer> {
        @Mixin ModelOptions model;
        @Mixin SchemeParameters parameters;
        @Mixin EngineOptions engine;
        @Spec CommandSpec spec;

        @Option(names = {"-n", "--gen-tokens"}, defaultValue = "128", description = "tokens decoded per test (default: ${DEFAULT-VALUE})")
        int genTokens;

        abstract String mode();

        String serverMain() {
            return BenchCommand.serverMain(spec);
        }

        abstract SchemeBench.Request request(Path model, Path tokenizer);

        @Override
        public Integer call() throws Exception {
            var bench = SchemeBench.of(mode()).orElseThrow(() -> new IllegalStateException("no SchemeBench registered for " + mode()));
            return bench.run(request(model.model(), model.tokenizer()), parameters.given());
        }
    }

    @Command(name = "remo", mixinStandardHelpOptions = true,
            description = "ReMO: a weights server and a trusted node over loopback TCP, against the plain engine in the same run "
                    + "(docs/talaria.md).")
    static final class Remo extends OfSchemes {
        @Mixin Runs runs;

        @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "512",
                description = "prefill test length (pp), 0 to skip (default: ${DEFAULT-VALUE})")
        int promptTokens;

        @Option(names = "--sweep-m", split = ",",
                description = "also measure set-up cost, pool memory and decode speed at these fractions of d_in")
        List<Double> sweep;

        @Override String mode() { return "remo"; }

        @Override
        SchemeBench.Request request(Path m, Path t) {
            return new SchemeBench.Request(m, t, promptTokens, genTokens, runs.repetitions, runs.warmup, Duration.ZERO, 0, sweep, null,
                    false, List.of(), serverMain());
        }
    }

    @Command(name = "remo-otp", mixinStandardHelpOptions = true,
            description = "The trusted node's CPU per token under plain, remo and remo-otp, one run (docs/otp.md).")
    static final class RemoOtp extends OfSchemes {
        @Mixin Runs runs;

        @Option(names = "--sweep-batch", split = ",", description = "also measure the pads' CPU per token at these batch sizes")
        List<Integer> batchSweep;

        @Override String mode() { return "remo-otp"; }

        @Override
        SchemeBench.Request request(Path m, Path t) {
            return new SchemeBench.Request(m, t, 0, genTokens, runs.repetitions, runs.warmup, Duration.ZERO, 0, null, batchSweep,
                    false, List.of(), serverMain());
        }
    }

    @Command(name = "shares", mixinStandardHelpOptions = true,
            description = "As remo-otp, with two-server shares too, and wire bytes against the minimum (docs/shares.md).")
    static final class Shares extends OfSchemes {
        @Mixin Runs runs;

        @Option(names = "--no-remo", description = "leave out remo and remo-otp (at the 1B shape remo-otp's node alone holds "
                + "the ring weights)")
        boolean noRemo;

        @Option(names = "--sweep-check-bits", split = ",", paramLabel = "λ",
                description = "also measure shares checked to these 2^-λ (B's share as a seed)")
        List<Integer> checkSweep = List.of();

        @Override String mode() { return "shares"; }

        @Override
        SchemeBench.Request request(Path m, Path t) {
            return new SchemeBench.Request(m, t, 0, genTokens, runs.repetitions, runs.warmup, Duration.ZERO, 0, null, null,
                    noRemo, checkSweep, serverMain());
        }
    }

    @Command(name = "hostile", mixinStandardHelpOptions = true,
            description = "An honest remo node beside peers that never read, and the weights server's memory (docs/hardening.md).")
    static final class Hostile extends OfSchemes {
        @Option(names = "--hostile-peers", defaultValue = "10",
                description = "greeted peers that flood LM-head calls and never read (default: ${DEFAULT-VALUE})")
        int hostilePeers;

        @Option(names = "--duration", defaultValue = "60", description = "seconds of load (default: ${DEFAULT-VALUE})")
        int durationSeconds;

        @Override String mode() { return "hostile"; }

        @Override
        SchemeBench.Request request(Path m, Path t) {
            return new SchemeBench.Request(m, t, 0, genTokens, 1, 0, Duration.ofSeconds(durationSeconds), hostilePeers, null, null,
                    false, List.of(), serverMain());
        }
    }

    @Command(mixinStandardHelpOptions = true, description = "A bench registered as a SchemeBench under this name.")
    static final class Registered extends OfSchemes {
        private final String mode;

        @Mixin Runs runs;

        @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "512",
                description = "prefill test length, 0 to skip (default: ${DEFAULT-VALUE})")
        int promptTokens;

        @Option(names = "--duration", defaultValue = "60",
                description = "seconds of load, where the bench loads (default: ${DEFAULT-VALUE})")
        int durationSeconds;

        Registered(String mode) {
            this.mode = mode;
        }

        @Override String mode() { return mode; }

        @Override
        SchemeBench.Request request(Path m, Path t) {
            return new SchemeBench.Request(m, t, promptTokens, genTokens, runs.repetitions, runs.warmup,
                    Duration.ofSeconds(durationSeconds), 0, null, null, false, List.of(), serverMain());
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true,
            description = "Concurrent sessions of every served scheme through one weights server over mutual TLS (docs/hardening.md).")
    static final class Load implements Callable<Integer> {
        @Mixin ModelOptions model;
        @Mixin EngineOptions engine;

        @Option(names = "--sessions", defaultValue = "16", description = "concurrent sessions (default: ${DEFAULT-VALUE})")
        int sessions;

        @Option(names = "--duration", defaultValue = "60",
                description = "seconds each session keeps asking (default: ${DEFAULT-VALUE})")
        int durationSeconds;

        @Option(names = "--answers", defaultValue = "1",
                description = "answers each session gets at least, past --duration if need be (default: ${DEFAULT-VALUE})")
        int answers;

        @Option(names = {"-n", "--gen-tokens"}, defaultValue = "128", description = "tokens per answer (default: ${DEFAULT-VALUE})")
        int genTokens;

        @Override
        public Integer call() throws Exception {
            return new LoadBench(model.model(), model.tokenizer(), sessions, Duration.ofSeconds(durationSeconds), answers, genTokens,
                    System.out).run();
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Concurrent clients through veil serve for every scheme with its defaults, Talaria's Fig. 5 (docs/serve.md).")
    static final class Serve implements Callable<Integer> {
        @Mixin ModelOptions model;
        @Mixin EngineOptions engine;

        @Option(names = {"-n", "--gen-tokens"}, defaultValue = "128", description = "tokens per request (default: ${DEFAULT-VALUE})")
        int genTokens;

        @Option(names = {"-r", "--repetitions"}, defaultValue = "3",
                description = "requests each client sends in turn (default: ${DEFAULT-VALUE})")
        int requests;

        @Option(names = "--clients", split = ",", description = "numbers of concurrent clients (default: 1,2,4,8)")
        List<Integer> clients;

        @Option(names = "--out", description = "folder for the latency plot (PNG and SVG)")
        Path out;

        @Override
        public Integer call() throws Exception {
            return new ServeBench(model.model(), model.tokenizer(), genTokens, requests, clients != null ? clients
                    : ServeBench.defaultClients(), out).run();
        }
    }

    @Command(name = "engines", mixinStandardHelpOptions = true,
            description = "The weights server's Java kernels against ONNX Runtime and the two routed by rows, per call class, "
                    + "float and both rings (docs/onnx.md).")
    static final class Engines implements Callable<Integer> {
        @Mixin ModelOptions model;
        @Mixin EngineOptions engine;
        @Mixin Runs runs;

        @Option(names = "--rows", split = ",", defaultValue = "1,16,128", description = "rows per call (default: ${DEFAULT-VALUE})")
        int[] rows;

        @Option(names = "--ring-graph", paramLabel = "int|int8",
                description = "time this ring graph of ONNX Runtime's as well as f64 (docs/onnx.md)")
        String ringGraph;

        @Override
        public Integer call() throws Exception {
            return dev.veil.onnx.EngineBench.run(model.load(ModelParts.WEIGHTS), rows,
                    ringGraph == null ? null : dev.veil.onnx.Exporter.RingGraph.parse(ringGraph), runs.repetitions, runs.warmup,
                    System.out);
        }
    }

    @Command(name = "engine-servers", mixinStandardHelpOptions = true,
            description = "remo through three weights servers, one per engine (java, onnxruntime, routed), same run: prefill and "
                    + "decode time (docs/onnx.md).")
    static final class EngineServers implements Callable<Integer> {
        @Mixin ModelOptions model;
        @Mixin EngineOptions engine;
        @Mixin Runs runs;

        @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "128", description = "prompt tokens (default: ${DEFAULT-VALUE})")
        int promptTokens;

        @Option(names = {"-n", "--gen-tokens"}, defaultValue = "16", description = "tokens decoded per run (default: ${DEFAULT-VALUE})")
        int genTokens;

        @Option(names = "--ring-graph", defaultValue = "f64", paramLabel = "f64|int|int8",
                description = "the exports' ring graph (default: ${DEFAULT-VALUE})")
        String ringGraph;

        @Override
        public Integer call() throws Exception {
            return new EngineServersBench(model.model(), model.tokenizer(), promptTokens, genTokens,
                    dev.veil.onnx.Exporter.RingGraph.parse(ringGraph), runs.repetitions, runs.warmup, System.out).run();
        }
    }

    @Command(name = "oip", mixinStandardHelpOptions = true,
            description = "Each scheme with its defaults over Veil's protocol and over the Open Inference Protocol (REST on the "
                    + "node's client and on the JDK's, and gRPC): time and bytes per token (docs/oip.md).")
    static final class Oip implements Callable<Integer> {
        @Mixin ModelOptions model;
        @Mixin EngineOptions engine;
        @Mixin Runs runs;

        @Option(names = {"-n", "--gen-tokens"}, defaultValue = "128", description = "tokens decoded per test (default: ${DEFAULT-VALUE})")
        int genTokens;

        @Override
        public Integer call() throws Exception {
            return new OipBench(model.model(), model.tokenizer(), genTokens, runs.repetitions, runs.warmup, System.out).run();
        }
    }
}
