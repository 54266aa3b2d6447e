package dev.veil.cli;

import dev.veil.engine.Parallel;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.model.Model;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tensor.Lanes;
import dev.veil.bench.Decoding;
import dev.veil.bench.MemoryBandwidth;
import dev.veil.bench.ThreadsCpu;
import dev.veil.bench.WidthBench;
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
@Command(name = "plain", mixinStandardHelpOptions = true,
        description = "The engine alone: prefill and decode tokens/s, memory bandwidth and peak memory (llama-bench style).")
final class PlainBench implements Callable<Integer> {
    @picocli.CommandLine.Mixin ModelOptions modelFile;
    @picocli.CommandLine.Mixin BenchCommand.Runs runs;
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "512",
            description = "prefill test length (pp), 0 to skip (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = {"-n", "--gen-tokens"}, defaultValue = "128",
            description = "decode test length (tg), 0 to skip (default: ${DEFAULT-VALUE})")
    int genTokens;

    @Option(names = "--bandwidth-mib", defaultValue = "1024",
            description = "buffer for the bandwidth test, MiB (default: ${DEFAULT-VALUE})")
    int bandwidthMiB;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the random prompt tokens (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--widths", split = ",", paramLabel = "BITS",
            description = "plain: run the bench at these vector widths (128, 256, 512), one child JVM each, alternated, "
                    + "and report each width's rates against the widest's")
    List<Integer> widths;

    @Option(names = "--width-rounds", defaultValue = "3", description = "with --widths: rounds of all widths (default: ${DEFAULT-VALUE})")
    int widthRounds;

    @picocli.CommandLine.Mixin EngineOptions engine;

    @Override
    public Integer call() throws Exception {
        if (promptTokens < 0 || genTokens < 0 || runs.repetitions < 1 || runs.warmup < 0 || bandwidthMiB < 64) {
            throw new IllegalArgumentException("need -p, -n >= 0, -r >= 1, --warmup >= 0, --bandwidth-mib >= 64");
        }
        if (widths != null) return new WidthBench(BenchCommand.serverMain(spec), widths, widthRounds, childArgs()).run(System.out);
        Path model = modelFile.model();
        Model m = modelFile.load();
        var c = m.config();
        int capacity = Math.max(promptTokens, genTokens);
        if (capacity > c.contextLength()) {
            throw new IllegalArgumentException("test length " + capacity + " exceeds the model's context of " + c.contextLength());
        }
        var forward = new Forward(c, m.node(), new LocalLinearOps(c, m.linear()));
        long fileBytes = Files.size(model), weightBytes = m.linear().byteSize();
        var cache = new KVCache(c, Math.max(1, capacity));
        System.err.printf(Locale.ROOT, "veil bench: %s (%s), %s, %d warm-up + %d timed %s per test%n",
                model.getFileName(), types(m), Counts.of(Parallel.threads(), "thread"), runs.warmup, runs.repetitions,
                Counts.noun(runs.warmup + runs.repetitions, "run"));

        Result pp = promptTokens == 0 ? null : run("pp" + promptTokens, () -> prefill(forward, cache, c.vocabSize()));
        Result tg = genTokens == 0 ? null : run("tg" + genTokens, () -> decode(forward, cache, Decoding.startToken(m)));
        long peak = peakResidentBytes();

        System.err.printf(Locale.ROOT, "veil bench: measuring memory read bandwidth over %d MiB...%n", bandwidthMiB);
        double bandwidth = MemoryBandwidth.measure((long) bandwidthMiB << 20, 5);

        var out = System.out;
        out.printf(Locale.ROOT, "model            %s, %s, %.1f MiB file, %.1f MiB of weight matrices%n",
                model.getFileName(), types(m), fileBytes / 1048576.0, weightBytes / 1048576.0);
        out.printf(Locale.ROOT, "threads          %d, %d-bit vectors (--threads, -Dveil.vectorBits)%n", Parallel.threads(), Lanes.bits());
        out.printf(Locale.ROOT, "kernels          %s%n", FloatTensor.kernelChoices());
        out.printf(Locale.ROOT, "kv cache         %s, %d positions, %.1f MiB (%d bytes; --kv-type)%n", cache.type(),
                cache.capacity(), cache.byteSize() / 1048576.0, cache.byteSize());
        if (pp != null) out.printf(Locale.ROOT, "pp%-14d %s%n", promptTokens, pp.format());
        if (tg != null) out.printf(Locale.ROOT, "tg%-14d %s%n", genTokens, tg.format());
        if (tg != null && tg.allocated() >= 0) {
            out.printf(Locale.ROOT, "allocation       %.0f bytes per decoded token (heap, all threads, timed runs)%n",
                    (double) tg.allocated() / (runs.repetitions * genTokens));
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
        var args = new java.util.ArrayList<>(List.of("plain", "--model", modelFile.model().toString(), "-p", String.valueOf(promptTokens),
                "-n", String.valueOf(genTokens), "-r", String.valueOf(runs.repetitions), "--warmup", String.valueOf(runs.warmup),
                "--seed", String.valueOf(seed), "--bandwidth-mib", "64"));
        if (modelFile.tokenizer() != null) args.addAll(List.of("--tokenizer", modelFile.tokenizer().toString()));
        args.addAll(engine.given());
        return args;
    }

    /**
     * Tokens/s of each timed run, after the warm-up runs. Also records the process's CPU time: on a machine shared
     * with other work, tokens per CPU-second of the pool's threads shows what the run would reach alone.
     */
    private Result run(String name, java.util.function.IntSupplier test) {
        double[] rates = new double[runs.repetitions], cpuRates = new double[runs.repetitions];
        long allocated = 0;
        for (int i = 0; i < runs.warmup + runs.repetitions; i++) {
            long t0 = System.nanoTime(), c0 = ThreadsCpu.nanos(), a0 = allocatedBytes();
            int tokens = test.getAsInt();
            double s = (System.nanoTime() - t0) / 1e9, cpu = (ThreadsCpu.nanos() - c0) / 1e9;
            boolean timed = i >= runs.warmup;
            if (timed) {
                allocated = a0 < 0 || allocated < 0 ? -1 : allocated + allocatedBytes() - a0;
                rates[i - runs.warmup] = tokens / s;
                cpuRates[i - runs.warmup] = tokens / (cpu / Parallel.threads());
            }
            System.err.printf(Locale.ROOT, "  %s %s run %d: %.2f tokens/s (%.0f%% of %s)%n", name, timed ? "timed" : "warm-up",
                    i + 1, tokens / s, 100 * cpu / s / Parallel.threads(), Counts.of(Parallel.threads(), "core"));
        }
        return new Result(rates, cpuRates, allocated);
    }

    /** Tokens/s and tokens per CPU-second of each timed run; heap bytes allocated by all threads during them. */
    private record Result(double[] rates, double[] cpuRates, long allocated) {
        double mean() { return PlainBench.mean(rates); }
        double cpuMean() { return PlainBench.mean(cpuRates); }
        String format() {
            return String.format(Locale.ROOT, "%.2f ± %.2f tokens/s   (%.2f ± %.2f per %d CPU-seconds of the process)",
                    PlainBench.mean(rates), sd(rates), cpuMean(), sd(cpuRates), Parallel.threads());
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
