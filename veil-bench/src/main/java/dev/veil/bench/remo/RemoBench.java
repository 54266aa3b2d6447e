package dev.veil.bench.remo;

import dev.veil.bench.Decoding;
import dev.veil.bench.ThreadsCpu;
import dev.veil.node.Bytes;
import dev.veil.engine.Parallel;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.node.remo.MaskSize;
import dev.veil.node.remo.RemoConfig;
import dev.veil.node.remo.RemoNode;
import dev.veil.node.remo.RemoScheme;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.WeightsServer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code veil bench remo}: ReMO against the plain engine in one run. A weights server and a trusted node
 * in this process are joined by a loopback TCP socket; their runs are interleaved with the plain engine's.
 * Reports prefill and decode tokens/s and their ratio (medians), bytes on the wire per token, where a ReMO
 * decode step spends its time, each role's memory, and the set-up cost and pool memory against m.
 */
public final class RemoBench {
    private final Path model, tokenizer;
    private final int promptTokens, genTokens, repetitions, warmup;
    private final RemoScheme remo;
    private final RemoConfig config;
    private final List<Double> sweep;
    private final PrintStream out = System.out;

    public RemoBench(Path model, Path tokenizer, int promptTokens, int genTokens, int repetitions, int warmup, RemoScheme remo, List<Double> sweep) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.promptTokens = promptTokens;
        this.genTokens = genTokens;
        this.repetitions = repetitions;
        this.warmup = warmup;
        this.remo = remo;
        this.config = remo.config();
        this.sweep = sweep == null ? List.of() : sweep;
    }

    public int run() throws Exception {
        if (promptTokens < 0 || genTokens < 0 || repetitions < 1 || warmup < 0) throw new IllegalArgumentException("need -p, -n >= 0, -r >= 1, --warmup >= 0");
        Model m = ModelLoader.load(model, tokenizer);
        var c = m.config();
        if (Math.max(promptTokens, genTokens + 1) > c.contextLength()) throw new IllegalArgumentException("test longer than the context of " + c.contextLength());
        String id = model.getFileName().toString();
        try (var weights = new WeightsServer(id, c, m.linear(), null);
             var server = TcpServer.start(weights, "127.0.0.1", 0, null);
             var node = connect(m, id, server.port(), config)) {
            // exact mode: the server's quantized weights serve as the plain baseline too (one copy in memory)
            LinearOps plain = config.numeric().exact() ? weights.ring(config.numeric().ring) : config.numeric().plain(c, m.linear());
            out.printf(Locale.ROOT, "model            %s: dim %d, hidden %d, %d layers, vocab %d; %s of weight matrices%n", id, c.dim(), c.hiddenDim(),
                    c.layers(), c.vocabSize(), Bytes.format(m.linear().byteSize()));
            out.printf(Locale.ROOT, "remo             %s, over loopback TCP; %d threads (load average %s); medians of %d runs after %d warm-up%n",
                    remo.describe(), Parallel.threads(), Decoding.loadAverage(), repetitions, warmup);
            out.printf(Locale.ROOT, "setup            %.0f ms, %s exchanged; restoration pools %s (%.1f%% of the weight matrices)%n",
                    node.pool().setupNanos() / 1e6, Bytes.format(node.pool().setupBytes()), Bytes.format(node.pool().byteSize()),
                    100.0 * node.pool().byteSize() / m.linear().byteSize());
            if (promptTokens > 0) prefill(m, plain, node);
            if (genTokens > 0) decode(m, plain, node);
            memory(m, weights, node);
            if (!sweep.isEmpty()) sweep(m, id, server.port(), plain);
        }
        return 0;
    }

    private static RemoNode connect(Model m, String id, int port, RemoConfig config) {
        return RemoNode.connect(m, id, TcpChannel.connect("127.0.0.1", port, null, Duration.ofSeconds(600)), config);
    }

    private void prefill(Model m, LinearOps plain, RemoNode node) {
        int[] tokens = new Random(7).ints(promptTokens, 0, m.config().vocabSize()).toArray();
        var p = new Runs(repetitions);
        var r = new Runs(repetitions);
        long bytes = 0;
        for (int i = 0; i < warmup + repetitions; i++) {
            boolean timed = i >= warmup;
            p.time(timed, i - warmup, promptTokens, () -> new Forward(m.config(), m.node(), plain).forward(tokens, new KVCache(m.config(), promptTokens), false));
            long b0 = traffic(node);
            r.time(timed, i - warmup, promptTokens, () -> new Forward(m.config(), m.node(), node.linear()).forward(tokens, new KVCache(m.config(), promptTokens), false));
            if (timed) bytes = traffic(node) - b0;
            System.err.printf(Locale.ROOT, "  prefill run %d: plain %.1f, remo %.1f tokens/s%n", i + 1, p.last, r.last);
        }
        out.printf(Locale.ROOT, "prefill %-8d plain %.2f tokens/s, remo %.2f tokens/s: remo/plain %.3f (%.3f per CPU-second); %s on the wire per prompt token%n",
                promptTokens, median(p.rates), median(r.rates), median(r.rates) / median(p.rates), median(r.cpuRates) / median(p.cpuRates),
                Bytes.format(bytes / promptTokens));
    }

    /** Tokens per second and per CPU-second (of the process's threads: node and server alike) of each timed run. */
    private static final class Runs {
        final double[] rates, cpuRates;
        double last;

        Runs(int n) {
            rates = new double[n];
            cpuRates = new double[n];
        }

        double time(boolean timed, int index, int tokens, Runnable run) {
            long t0 = System.nanoTime(), c0 = ThreadsCpu.nanos();
            run.run();
            double s = (System.nanoTime() - t0) / 1e9, cpu = (ThreadsCpu.nanos() - c0) / 1e9;
            last = tokens / s;
            if (timed) {
                rates[index] = last;
                cpuRates[index] = tokens / cpu;
            }
            return s;
        }
    }

    private void decode(Model m, LinearOps plain, RemoNode node) {
        var p = new Runs(repetitions);
        var r = new Runs(repetitions);
        double[][] shares = new double[repetitions][];
        long bytes = 0;
        int[][] tokens = new int[2][];
        for (int i = 0; i < warmup + repetitions; i++) {
            boolean timed = i >= warmup;
            p.time(timed, i - warmup, genTokens, () -> tokens[0] = greedy(m, plain));
            node.stats().reset();
            long b0 = traffic(node);
            double tr = r.time(timed, i - warmup, genTokens, () -> tokens[1] = greedy(m, node.linear()));
            if (timed) {
                bytes = traffic(node) - b0;
                var s = node.stats();
                double wall = tr * 1e9;
                shares[i - warmup] = new double[] {s.maskNanos() / wall, s.restoreNanos() / wall, s.transportNanos() / wall, s.serverNanos() / wall,
                        (wall - s.maskNanos() - s.restoreNanos() - s.roundTripNanos()) / wall};
            }
            System.err.printf(Locale.ROOT, "  decode run %d: plain %.2f, remo %.2f tokens/s%n", i + 1, p.last, r.last);
        }
        double[] sh = shares[indexOfMedian(r.rates)];
        out.printf(Locale.ROOT, "decode %-9d plain %.2f tokens/s, remo %.2f tokens/s: remo/plain %.3f (%.3f per CPU-second); %s on the wire per token; same tokens: %s%n",
                genTokens, median(p.rates), median(r.rates), median(r.rates) / median(p.rates), median(r.cpuRates) / median(p.cpuRates),
                Bytes.format(bytes / genTokens), Arrays.equals(tokens[0], tokens[1]) ? "yes" : "no");
        out.printf(Locale.ROOT, "decode time      mask %.1f%%, restore %.1f%%, transport %.1f%%, server %.1f%%, node's weight-free ops %.1f%%%n",
                100 * sh[0], 100 * sh[1], 100 * sh[2], 100 * sh[3], 100 * sh[4]);
    }

    private void memory(Model m, WeightsServer weights, RemoNode node) {
        var c = m.config();
        var n = m.node();
        long norms = 4L * c.dim() * (2L * c.layers() + 1);
        if (n.qNorm() != null) norms += 8L * c.headDim() * c.layers();
        if (n.qkvBias() != null) norms += 4L * (c.qDim() + 2L * c.kvDim()) * c.layers();
        long kv = new KVCache(c, Math.max(1, Math.max(promptTokens, genTokens + 1))).byteSize();
        long nodeBytes = n.tokenEmbedding().segment().byteSize() + norms + kv + node.pool().byteSize();
        out.printf(Locale.ROOT, "memory           weights server: %s of weight matrices%s; trusted node: %s (embedding %s, norms %s, KV cache %s, pools %s)%n",
                Bytes.format(m.linear().byteSize()), weights.ringBytes() > 0 ? " + " + Bytes.format(weights.ringBytes()) + " quantized for the ring" : "",
                Bytes.format(nodeBytes), Bytes.format(n.tokenEmbedding().segment().byteSize()), Bytes.format(norms), Bytes.format(kv),
                Bytes.format(node.pool().byteSize()));
    }

    private void sweep(Model m, String id, int port, LinearOps plain) {
        out.printf("%nm/d_in    setup ms  setup bytes  pool memory  pool/weights  decode remo/plain%n");
        for (double f : sweep) {
            var swept = new RemoConfig(MaskSize.fraction(f), config.numeric(), config.maskScale());
            try (var node = connect(m, id, port, swept)) {
                double ratio = Double.NaN;
                if (genTokens > 0) {
                    double[] q = new double[repetitions];
                    for (int i = 0; i < warmup + repetitions; i++) {
                        double tp = time(() -> greedy(m, plain)), tr = time(() -> greedy(m, node.linear()));
                        if (i >= warmup) q[i - warmup] = tp / tr;
                    }
                    ratio = median(q);
                }
                out.printf(Locale.ROOT, "%-9.4f %9.0f %12s %12s %12.1f%% %18.3f%n", f, node.pool().setupNanos() / 1e6, Bytes.format(node.pool().setupBytes()),
                        Bytes.format(node.pool().byteSize()), 100.0 * node.pool().byteSize() / m.linear().byteSize(), ratio);
            }
        }
    }

    /** genTokens greedy decode steps from BOS on a fresh cache. */
    private int[] greedy(Model m, LinearOps ops) {
        var f = new Forward(m.config(), m.node(), ops);
        var cache = new KVCache(m.config(), genTokens + 1);
        int[] out = new int[genTokens];
        int token = Decoding.startToken(m);
        for (int i = 0; i < genTokens; i++) out[i] = token = Sampler.greedy().sample(f.forward(new int[] {token}, cache, false));
        return out;
    }

    private static long traffic(RemoNode node) {
        return node.channel().traffic().bytesSent() + node.channel().traffic().bytesReceived();
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] v) {
        return v[indexOfMedian(v)];
    }

    private static int indexOfMedian(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Double.compare(v[a], v[b]));
        return idx[v.length / 2];
    }
}
