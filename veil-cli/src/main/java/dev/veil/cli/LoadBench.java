package dev.veil.cli;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.cmif.CmifNode;
import dev.veil.node.cmif.ExactRandom;
import dev.veil.node.cmif.Guarantee;
import dev.veil.node.cmif.Sanitized;
import dev.veil.node.cmif.Sanitizer;
import dev.veil.node.otp.OtpConfig;
import dev.veil.node.otp.OtpNode;
import dev.veil.node.remo.MaskSize;
import dev.veil.node.remo.RemoConfig;
import dev.veil.node.remo.RemoNode;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.WeightsServer;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * {@code veil bench --mode load}: concurrent sessions of mixed schemes (remo and remo-otp in exact mode, cmif)
 * through one weights server over loopback TCP, for a bounded time. Every answer must equal the same scheme's
 * answer to the same prompt run alone first; reports latency percentiles, throughput, and the most memory the
 * server held for its peers and the JVM's heap held while loaded.
 */
final class LoadBench {
    static final List<String> SCHEMES = List.of("remo", "remo-otp", "cmif");
    private static final String[] PROMPTS = {"Once upon a time", "The little dog", "Lily and Ben went to the park", "One day, a big"};

    private final Path model, tokenizer;
    private final int sessions, genTokens;
    private final Duration duration;
    private final PrintStream out;

    LoadBench(Path model, Path tokenizer, int sessions, Duration duration, int genTokens, PrintStream out) {
        if (sessions < 1 || genTokens < 1 || duration.isNegative()) {
            throw new IllegalArgumentException("load needs sessions, tokens and a duration > 0");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.sessions = sessions;
        this.duration = duration;
        this.genTokens = genTokens;
        this.out = out;
    }

    /** One scheme's client end on its own connection: answers a prompt with greedy tokens. */
    private interface Session extends AutoCloseable {
        int[] answer(int[] prompt);

        @Override
        void close();
    }

    /** CMIF with sanitization off: the split runs for real and answers repeat (sanitizing is node-local work). */
    private static final Sanitizer KEEP = new Sanitizer() {
        public String name() { return "keep"; }

        public double epsilon() { return Double.POSITIVE_INFINITY; }

        public Sanitized sanitize(int[] ids, boolean[] editable, ExactRandom random) {
            return new Sanitized(ids.clone(), new boolean[ids.length], new Guarantee("keep", Double.POSITIVE_INFINITY, 0, ids.length, 0,
                    Guarantee.Scope.SHARED_CANDIDATES, "sanitization off: nothing is covered"));
        }
    };

    private Session open(String scheme, Model m, int port) {
        var channel = TcpChannel.connect("127.0.0.1", port, null, Duration.ofSeconds(60));
        return switch (scheme) {
            case "remo" -> {
                var node = RemoNode.connect(m, "load", channel, RemoConfig.of(MaskSize.fraction(0.5), Numeric.Z64));
                yield session(p -> node.generator().generate(p, genTokens, Sampler.greedy(), t -> {}), node::close);
            }
            case "remo-otp" -> {
                var node = OtpNode.connect(m, "load", channel, OtpConfig.of(Numeric.Z64));
                yield session(p -> node.generator().generate(p, genTokens, Sampler.greedy(), t -> {}), node::close);
            }
            default -> {
                var node = CmifNode.connect(m, "load", channel, KEEP);
                yield session(p -> node.generate(p, new boolean[p.length], genTokens, Sampler.greedy(), t -> {}).generated(), node::close);
            }
        };
    }

    private static Session session(java.util.function.UnaryOperator<int[]> answer, Runnable close) {
        return new Session() {
            public int[] answer(int[] prompt) { return answer.apply(prompt); }

            public void close() { close.run(); }
        };
    }

    int run() throws Exception {
        Model m = ModelLoader.load(model, tokenizer);
        int[][] prompts = new int[PROMPTS.length][];
        for (int i = 0; i < prompts.length; i++) {
            int[] ids = m.tokenizer().encode(PROMPTS[i]);
            prompts[i] = new int[ids.length + 1];
            prompts[i][0] = m.tokenizer().bos();
            System.arraycopy(ids, 0, prompts[i], 1, ids.length);
        }
        try (var weights = new WeightsServer("load", m.config(), m.linear(), m.node(), null);
             var server = TcpServer.start(weights, "127.0.0.1", 0, null, ServerLimits.defaults(), line -> {})) {
            int[][][] alone = new int[SCHEMES.size()][prompts.length][];
            long[] aloneNanos = new long[SCHEMES.size() * prompts.length];
            for (int s = 0; s < SCHEMES.size(); s++) {
                try (var session = open(SCHEMES.get(s), m, server.port())) {
                    for (int k = 0; k < prompts.length; k++) alone[s][k] = session.answer(prompts[k]); // also JIT warm-up
                    for (int k = 0; k < prompts.length; k++) {
                        long t0 = System.nanoTime();
                        session.answer(prompts[k]);
                        aloneNanos[s * prompts.length + k] = System.nanoTime() - t0;
                    }
                }
            }
            Arrays.sort(aloneNanos);
            var heap = ManagementFactory.getMemoryMXBean();
            var maxHeap = new LongAccumulator(Math::max, 0);
            var maxHeld = new LongAccumulator(Math::max, 0);
            var mismatches = new AtomicLong();
            var errors = new java.util.concurrent.ConcurrentLinkedQueue<String>();
            List<long[]> latencies = new ArrayList<>();
            long[] tokens = new long[sessions];
            long deadline = System.nanoTime() + duration.toNanos();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                int id = i, s = i % SCHEMES.size();
                long[] mine = new long[1 << 16];
                latencies.add(mine);
                threads.add(Thread.ofPlatform().name("load-" + i).start(() -> {
                    int done = 0;
                    try (var session = open(SCHEMES.get(s), m, server.port())) {
                        for (int k = id; System.nanoTime() < deadline && done < mine.length - 1; k++) {
                            int[] p = prompts[k % prompts.length];
                            long t0 = System.nanoTime();
                            int[] answer = session.answer(p);
                            mine[++done] = System.nanoTime() - t0;
                            tokens[id] += answer.length;
                            if (!Arrays.equals(answer, alone[s][k % prompts.length])) mismatches.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        errors.add(SCHEMES.get(s) + " session " + id + ": " + Main.message(e));
                    }
                    mine[0] = done;
                }));
            }
            long t0 = System.nanoTime();
            while (threads.stream().anyMatch(Thread::isAlive)) {
                maxHeap.accumulate(heap.getHeapMemoryUsage().getUsed());
                maxHeld.accumulate(server.metrics().heldBytes());
                Thread.sleep(100);
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            long[] all = latencies.stream().flatMapToLong(l -> Arrays.stream(l, 1, (int) l[0] + 1)).sorted().toArray();
            long totalTokens = Arrays.stream(tokens).sum();
            out.printf(Locale.ROOT, "load             %d sessions (%s in turn) over loopback TCP, %d tokens per answer, %.0f s%n",
                    sessions, String.join(", ", SCHEMES), genTokens, wall);
            out.printf(Locale.ROOT, "answers          %d, %d differ from their single-session answer, %d sessions failed%n",
                    all.length, mismatches.get(), errors.size());
            if (all.length > 0) {
                double alone50 = pct(aloneNanos, 0.50) / 1e6;
                out.printf(Locale.ROOT, "latency          p50 %.1f ms, p95 %.1f ms per answer"
                        + " (alone, same run: p50 %.1f ms; p50 ratio %.1fx)%n",
                        pct(all, 0.50) / 1e6, pct(all, 0.95) / 1e6, alone50, pct(all, 0.50) / 1e6 / alone50);
                out.printf(Locale.ROOT, "                 throughput vs one session alone (same run): %.1fx%n",
                        all.length / wall / (1e3 / alone50));
            }
            out.printf(Locale.ROOT, "throughput       %.1f answers/s, %.1f tokens/s%n", all.length / wall, totalTokens / wall);
            out.printf(Locale.ROOT, "memory           server held at most %s for its peers; JVM heap at most %s;"
                    + " %d CMIF sessions left open%n",
                    mib(maxHeld.get()), mib(maxHeap.get()), weights.openSessions());
            errors.forEach(e -> out.println("failed           " + e));
            return mismatches.get() == 0 && errors.isEmpty() ? 0 : 1;
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static long pct(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
