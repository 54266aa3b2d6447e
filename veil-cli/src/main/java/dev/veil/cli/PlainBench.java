package dev.veil.cli;

import dev.veil.engine.Parallel;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tensor.Lanes;
import dev.veil.experiments.bench.Decoding;
import dev.veil.experiments.bench.MemoryBandwidth;
import dev.veil.experiments.bench.SchemeBench;
import dev.veil.experiments.bench.ThreadsCpu;
import dev.veil.experiments.bench.WidthBench;
import dev.veil.node.SchemeParams;
import dev.veil.protocol.Counts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * llama-bench style throughput: prefill of a p-token prompt (pp) and decode of n tokens one at a time (tg),
 * mean ± standard deviation over repetitions after warm-up; the memory bandwidth measured in the same run,
 * and decode as a fraction of the bound it sets (weight bytes read per token / bandwidth); peak resident
 * memory against the model file plus the KV cache.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode tokens/s, memory bandwidth and peak memory (llama-bench style); "
                + "with --mode remo, ReMO over loopback TCP against the plain engine in the same run.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "GGUF file or llama2.c checkpoint")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "512",
            description = "prefill test length (pp), 0 to skip (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = {"-n", "--gen-tokens"}, defaultValue = "128",
            description = "decode test length (tg), 0 to skip (default: ${DEFAULT-VALUE})")
    int genTokens;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", description = "timed runs of each test (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--warmup", defaultValue = "1",
            description = "untimed runs of each test first, for the JIT (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--bandwidth-mib", defaultValue = "1024",
            description = "buffer for the bandwidth test, MiB (default: ${DEFAULT-VALUE})")
    int bandwidthMiB;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the random prompt tokens (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--mode", defaultValue = "plain",
            description = "plain (the engine alone), remo (a weights server and a trusted node over loopback TCP, against plain in the same run) "
                    + "or remo-otp (the trusted node's CPU per token under plain, remo and remo-otp, one run; docs/otp.md), "
                    + "or shares (the same with two-server shares too, and wire bytes against the minimum; docs/shares.md), "
                    + "or load (--sessions concurrent sessions of every served scheme through one weights server over mutual TLS"
                    + " for --duration; -n tokens each), "
                    + "or serve (concurrent clients through veil serve for every scheme, Talaria's Fig. 5; docs/serve.md) "
                    + "or hostile (an honest remo node beside --hostile-peers peers that never read, and the server's memory; "
                    + "docs/hardening.md) "
                    + "or engines (the weights server's Java kernels against ONNX Runtime, per call class, float and both rings; docs/onnx.md) "
                    + "or oip (each scheme over Veil's protocol and over the Open Inference Protocol: time and bytes per token; docs/oip.md) "
                    + "(default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--sessions", defaultValue = "16", description = "load: concurrent sessions (default: ${DEFAULT-VALUE})")
    int sessions;

    @Option(names = "--hostile-peers", defaultValue = "10",
            description = "hostile: greeted peers that flood LM-head calls and never read (default: ${DEFAULT-VALUE})")
    int hostilePeers;

    @Option(names = "--duration", defaultValue = "60", description = "load, hostile: seconds of load (default: ${DEFAULT-VALUE})")
    int durationSeconds;

    @Option(names = "--sweep-m", split = ",",
            description = "remo: also measure set-up cost, pool memory and decode speed at these fractions of d_in")
    java.util.List<Double> sweep;

    @Option(names = "--sweep-batch", split = ",", description = "remo-otp: also measure the pads' CPU per token at these batch sizes")
    java.util.List<Integer> batchSweep;

    @Option(names = "--clients", split = ",", description = "serve: numbers of concurrent clients (default: 1,2,4,8)")
    java.util.List<Integer> clients;

    @Option(names = "--out", description = "serve: folder for the latency plot (PNG and SVG)")
    Path out;

    @Option(names = "--no-remo", description = "shares: leave out remo and remo-otp (at the 1B shape remo-otp's node alone holds "
            + "the ring weights)")
    boolean noRemo;

    @Option(names = "--sweep-check-bits", split = ",", paramLabel = "λ",
            description = "shares: also measure shares checked to these 2^-λ (B's share as a seed)")
    List<Integer> checkSweep = List.of();

    @Option(names = "--widths", split = ",", paramLabel = "BITS",
            description = "plain: run the bench at these vector widths (128, 256, 512), one child JVM each, alternated, "
                    + "and report each width's rates against the widest's")
    List<Integer> widths;

    @Option(names = "--width-rounds", defaultValue = "3", description = "with --widths: rounds of all widths (default: ${DEFAULT-VALUE})")
    int widthRounds;

    @picocli.CommandLine.Mixin SchemeParameters parameters;
    @picocli.CommandLine.Mixin EngineOptions engine;

    @Override
    public Integer call() throws Exception {
        if (mode.equals("serve")) {
            if (!parameters.given().isEmpty()) throw new IllegalArgumentException("--mode serve runs every scheme with its defaults; drop the scheme options");
            return new ServeBench(model, tokenizer, genTokens, repetitions, clients != null ? clients
                    : ServeBench.defaultClients(), out).run();
        }
        if (mode.equals("engines")) {
            return dev.veil.onnx.EngineBench.run(ModelLoader.load(model, tokenizer, dev.veil.engine.model.ModelParts.WEIGHTS), repetitions, warmup,
                    System.out);
        }
        if (mode.equals("oip")) {
            if (!parameters.given().isEmpty()) throw new IllegalArgumentException("--mode oip runs every scheme with its defaults; drop the scheme options");
            return new OipBench(model, tokenizer, genTokens, repetitions, warmup, System.out).run();
        }
        if (mode.equals("load")) {
            return new LoadBench(model, tokenizer, sessions, java.time.Duration.ofSeconds(durationSeconds), genTokens, System.out).run();
        }
        var bench = SchemeBench.of(mode); // the benches of schemes' internals, each making its own schemes from the registry
        if (!mode.equals("plain") && bench.isEmpty()) {
            var modes = new java.util.ArrayList<>(List.of("plain"));
            modes.addAll(SchemeBench.all().stream().map(SchemeBench::mode).toList());
            modes.addAll(List.of("load", "serve", "engines", "oip"));
            throw new IllegalArgumentException("unknown --mode '" + mode + "' (" + String.join(", ", modes) + ")");
        }
        if (widths != null && !mode.equals("plain")) throw new IllegalArgumentException("--widths runs the plain bench only");
        if (bench.isPresent()) {
            return bench.get().run(new SchemeBench.Request(model, tokenizer, promptTokens, genTokens, repetitions, warmup,
                    java.time.Duration.ofSeconds(durationSeconds), hostilePeers, sweep, batchSweep, noRemo, checkSweep,
                    Main.class.getName()), parameters.given());
        }
        new SchemeParams(parameters.given()).checkAllRead("plain"); // the plain bench takes no scheme parameter
        if (promptTokens < 0 || genTokens < 0 || repetitions < 1 || warmup < 0 || bandwidthMiB < 64) {
            throw new IllegalArgumentException("need -p, -n >= 0, -r >= 1, --warmup >= 0, --bandwidth-mib >= 64");
        }
        if (widths != null) return new WidthBench(Main.class.getName(), widths, widthRounds, childArgs()).run(System.out);
        Model m = ModelLoader.load(model, tokenizer);
        var c = m.config();
        int capacity = Math.max(promptTokens, genTokens);
        if (capacity > c.contextLength()) {
            throw new IllegalArgumentException("test length " + capacity + " exceeds the model's context of " + c.contextLength());
        }
        var forward = new Forward(c, m.node(), new LocalLinearOps(c, m.linear()));
        long fileBytes = Files.size(model), weightBytes = m.linear().byteSize();
        var cache = new KVCache(c, Math.max(1, capacity));
        System.err.printf(Locale.ROOT, "veil bench: %s (%s), %s, %d warm-up + %d timed %s per test%n",
                model.getFileName(), types(m), Counts.of(Parallel.threads(), "thread"), warmup, repetitions,
                Counts.noun(warmup + repetitions, "run"));

        Result pp = promptTokens == 0 ? null : run("pp" + promptTokens, () -> prefill(forward, cache, c.vocabSize()));
        Result tg = genTokens == 0 ? null : run("tg" + genTokens, () -> decode(forward, cache, Decoding.startToken(m)));
        long peak = peakResidentBytes();

        System.err.printf(Locale.ROOT, "veil bench: measuring memory read bandwidth over %d MiB...%n", bandwidthMiB);
        double bandwidth = MemoryBandwidth.measure((long) bandwidthMiB << 20, 5);

        var out = System.out;
        out.printf(Locale.ROOT, "model            %s, %s, %.1f MiB file, %.1f MiB of weight matrices%n",
                model.getFileName(), types(m), fileBytes / 1048576.0, weightBytes / 1048576.0);
        out.printf(Locale.ROOT, "threads          %d, %d-bit vectors (--threads, -Dveil.vectorBits)%n", Parallel.threads(), Lanes.bits());
        out.printf(Locale.ROOT, "kv cache         %s, %d positions, %.1f MiB (%d bytes; --kv-type)%n", cache.type(),
                cache.capacity(), cache.byteSize() / 1048576.0, cache.byteSize());
        if (pp != null) out.printf(Locale.ROOT, "pp%-14d %s%n", promptTokens, pp.format());
        if (tg != null) out.printf(Locale.ROOT, "tg%-14d %s%n", genTokens, tg.format());
        if (tg != null && tg.allocated() >= 0) {
            out.printf(Locale.ROOT, "allocation       %.0f bytes per decoded token (heap, all threads, timed runs)%n",
                    (double) tg.allocated() / (repetitions * genTokens));
        }
        out.printf(Locale.ROOT, "bandwidth        %.1f GB/s (vectorized read of %d MiB, best of 5)%n", bandwidth / 1e9, bandwidthMiB);
        if (tg != null) {
            double bound = bandwidth / weightBytes;
            out.printf(Locale.ROOT, "decode bound     %.2f tokens/s (%.1f MiB of weights read per token)%n", bound,
                    weightBytes / 1048576.0);
            out.printf(Locale.ROOT, "decode/bound     %.1f%%%n", 100 * tg.mean() / bound);
        }
        if (pp != null && tg != null) {
            out.printf(Locale.ROOT, "prefill/decode   %.2fx   (%.2fx per CPU-second)%n", pp.mean() / tg.mean(),
                    pp.cpuMean() / tg.cpuMean());
        }
        if (peak > 0) {
            long budget = fileBytes + cache.byteSize();
            out.printf(Locale.ROOT, "peak memory      %.1f MiB resident (VmHWM) vs %.1f MiB model file + %.1f MiB KV cache (%s): %.2fx%n",
                    peak / 1048576.0, fileBytes / 1048576.0, cache.byteSize() / 1048576.0, cache.type(), (double) peak / budget);
        }
        return 0;
    }

    /** This bench's plain options for a child bench (its bandwidth test cut to the minimum: only the rates are read). */
    private List<String> childArgs() {
        var args = new java.util.ArrayList<>(List.of("--model", model.toString(), "-p", String.valueOf(promptTokens),
                "-n", String.valueOf(genTokens), "-r", String.valueOf(repetitions), "--warmup", String.valueOf(warmup),
                "--seed", String.valueOf(seed), "--bandwidth-mib", "64"));
        if (tokenizer != null) args.addAll(List.of("--tokenizer", tokenizer.toString()));
        args.addAll(engine.given());
        return args;
    }

    /**
     * Tokens/s of each timed run, after the warm-up runs. Also records the process's CPU time: on a machine shared
     * with other work, tokens per CPU-second of the pool's threads shows what the run would reach alone.
     */
    private Result run(String name, java.util.function.IntSupplier test) {
        double[] rates = new double[repetitions], cpuRates = new double[repetitions];
        long allocated = 0;
        for (int i = 0; i < warmup + repetitions; i++) {
            long t0 = System.nanoTime(), c0 = ThreadsCpu.nanos(), a0 = allocatedBytes();
            int tokens = test.getAsInt();
            double s = (System.nanoTime() - t0) / 1e9, cpu = (ThreadsCpu.nanos() - c0) / 1e9;
            boolean timed = i >= warmup;
            if (timed) {
                allocated = a0 < 0 || allocated < 0 ? -1 : allocated + allocatedBytes() - a0;
                rates[i - warmup] = tokens / s;
                cpuRates[i - warmup] = tokens / (cpu / Parallel.threads());
            }
            System.err.printf(Locale.ROOT, "  %s %s run %d: %.2f tokens/s (%.0f%% of %s)%n", name, timed ? "timed" : "warm-up",
                    i + 1, tokens / s, 100 * cpu / s / Parallel.threads(), Counts.of(Parallel.threads(), "core"));
        }
        return new Result(rates, cpuRates, allocated);
    }

    /** Tokens/s and tokens per CPU-second of each timed run; heap bytes allocated by all threads during them. */
    private record Result(double[] rates, double[] cpuRates, long allocated) {
        double mean() { return BenchCommand.mean(rates); }
        double cpuMean() { return BenchCommand.mean(cpuRates); }
        String format() {
            return String.format(Locale.ROOT, "%.2f ± %.2f tokens/s   (%.2f ± %.2f per %d CPU-seconds of the process)",
                    BenchCommand.mean(rates), sd(rates), cpuMean(), sd(cpuRates), Parallel.threads());
        }
    }

    private int prefill(Forward forward, KVCache cache, int vocab) {
        int[] tokens = new Random(seed).ints(promptTokens, 0, vocab).toArray();
        cache.truncate(0);
        forward.next(tokens, cache);
        return promptTokens;
    }

    private int decode(Forward forward, KVCache cache, int bos) {
        cache.truncate(0);
        int token = bos;
        for (int i = 0; i < genTokens; i++) token = argmax(forward.next(token, cache));
        return genTokens;
    }

    /** Bytes allocated on the heap by all threads so far, or -1 where the JVM does not count them. */
    private static long allocatedBytes() {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        return threads instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemoryEnabled()
                ? sun.getTotalThreadAllocatedBytes() : -1;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static String types(Model m) {
        var types = new java.util.TreeMap<String, Integer>();
        var w = m.linear();
        for (FloatTensor[] group : new FloatTensor[][] {w.wq(), w.wk(), w.wv(), w.wo(), w.gate(), w.up(), w.down(), {w.lmHead()}}) {
            for (FloatTensor t : group) types.merge(t.type().name(), 1, Integer::sum);
        }
        return types.size() == 1 ? types.firstKey() : types.toString();
    }

    /** VmHWM of this process in bytes, or -1 where /proc is not available. */
    static long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    private static double sd(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }
}
