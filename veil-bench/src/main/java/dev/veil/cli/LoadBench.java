package dev.veil.cli;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeParams;
import dev.veil.node.SchemeType;
import dev.veil.node.Schemes;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.Counts;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.protocol.transport.Tls;
import dev.veil.weights.WeightsServer;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import javax.net.ssl.SSLContext;

/**
 * {@code veil bench load}: concurrent sessions of every registered scheme that uses weights servers, in
 * turn, through one weights server (shares: two) over mutual TLS 1.3 on loopback, for a given time and until each has
 * had a given number of answers (so that a loaded machine makes the run longer, never emptier). Every
 * answer must equal the same scheme's answer to the same prompt run alone first; reports latency percentiles,
 * throughput, and the most memory the server held for its peers and the JVM's heap held while loaded. Schemes run
 * in exact mode where they have one and CMIF sanitizes nothing, so that answers repeat; the handshake is not attested.
 */
final class LoadBench {
    static final List<String> SCHEMES = Schemes.types().stream().filter(t -> Schemes.create(t.name()).servers() > 0)
            .map(SchemeType::name).toList();
    private static final String[] PROMPTS = {"Once upon a time", "The little dog", "Lily and Ben went to the park", "One day, a big"};

    private final Path model, tokenizer;
    private final int sessions, answers, genTokens;
    private final Duration duration;
    private final PrintStream out;

    /** Each session asks until {@code duration} has passed and it has had at least {@code answers} answers. */
    LoadBench(Path model, Path tokenizer, int sessions, Duration duration, int answers, int genTokens, PrintStream out) {
        if (sessions < 1 || genTokens < 1 || answers < 0 || duration.isNegative()) {
            throw new IllegalArgumentException("load needs --sessions and -n > 0, --answers and --duration >= 0");
        }
        this.answers = answers;
        this.model = model;
        this.tokenizer = tokenizer;
        this.sessions = sessions;
        this.duration = duration;
        this.genTokens = genTokens;
        this.out = out;
    }

    /** One node of {@code scheme} on connections of its own, over mutual TLS. */
    private TrustedNode open(String scheme, Model m, List<TcpServer> servers, SSLContext tls) {
        Scheme s = Schemes.create(scheme, new SchemeParams(Map.of(), Map.of("numeric", "exact")));
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < s.servers(); i++) {
            channels.add(TcpChannel.connect("127.0.0.1", servers.get(i).port(), tls, Duration.ofSeconds(60)));
        }
        return TrustedNodes.open(s, m, "load", channels);
    }

    private int[] answer(TrustedNode node, int[] prompt) {
        try (var session = node.session()) {
            return session.generate(prompt, new boolean[prompt.length], genTokens, Sampler.greedy(), t -> {});
        }
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
        Path keys = Files.createTempDirectory("veil-load-keys");
        char[] password = "load".toCharArray();
        dev.veil.keys.KeyFiles.writeDeployment(keys, List.of("127.0.0.1"), 1, password);
        SSLContext serverTls = Tls.context(keys.resolve("weights-server"), password, "node");
        SSLContext nodeTls = Tls.context(keys.resolve("node"), password, "weights-server");
        try (var weights = new WeightsServer("load", m.config(), m.linear(), m.node(), null);
             var weightsB = new WeightsServer("load", m.config(), m.linear(), m.node(), null);
             var server = TcpServer.start(weights, "127.0.0.1", 0, serverTls, ServerLimits.defaults(), line -> {});
             var serverB = TcpServer.start(weightsB, "127.0.0.1", 0, serverTls, ServerLimits.defaults(), line -> {})) {
            List<TcpServer> servers = List.of(server, serverB);
            int[][][] alone = new int[SCHEMES.size()][prompts.length][];
            long[] aloneNanos = new long[SCHEMES.size() * prompts.length];
            for (int s = 0; s < SCHEMES.size(); s++) {
                try (var node = open(SCHEMES.get(s), m, servers, nodeTls)) {
                    for (int k = 0; k < prompts.length; k++) alone[s][k] = answer(node, prompts[k]); // also JIT warm-up
                    for (int k = 0; k < prompts.length; k++) {
                        long t0 = System.nanoTime();
                        answer(node, prompts[k]);
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
                    try (var node = open(SCHEMES.get(s), m, servers, nodeTls)) {
                        for (int k = id; (System.nanoTime() < deadline || done < answers) && done < mine.length - 1; k++) {
                            int[] p = prompts[k % prompts.length];
                            long t0 = System.nanoTime();
                            int[] answer = answer(node, p);
                            mine[++done] = System.nanoTime() - t0;
                            tokens[id] += answer.length;
                            if (!Arrays.equals(answer, alone[s][k % prompts.length])) mismatches.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        errors.add(SCHEMES.get(s) + " session " + id + ": " + Cli.message(e));
                    }
                    mine[0] = done;
                }));
            }
            long t0 = System.nanoTime();
            while (threads.stream().anyMatch(Thread::isAlive)) {
                maxHeap.accumulate(heap.getHeapMemoryUsage().getUsed());
                maxHeld.accumulate(server.metrics().heldBytes() + serverB.metrics().heldBytes());
                Thread.sleep(100);
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            long[] all = latencies.stream().flatMapToLong(l -> Arrays.stream(l, 1, (int) l[0] + 1)).sorted().toArray();
            long totalTokens = Arrays.stream(tokens).sum();
            out.printf(Locale.ROOT, "load             %s (%s in turn) over mutual TLS 1.3 on loopback,"
                    + " %s per answer, %.0f s%n",
                    Counts.of(sessions, "session"), String.join(", ", SCHEMES), Counts.of(genTokens, "token"), wall);
            out.printf(Locale.ROOT, "answers          %d, %d differ from their single-session answer, %s failed%n",
                    all.length, mismatches.get(), Counts.of(errors.size(), "session"));
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
                    + " %s left open%n",
                    mib(maxHeld.get()), mib(maxHeap.get()), Counts.of(weights.openSessions() + weightsB.openSessions(), "CMIF session"));
            errors.forEach(e -> out.println("failed           " + e));
            return mismatches.get() == 0 && errors.isEmpty() ? 0 : 1;
        } finally {
            try (var files = Files.walk(keys)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static long pct(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
