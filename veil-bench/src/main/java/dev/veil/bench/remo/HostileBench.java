package dev.veil.bench.remo;

import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Ring;
import dev.veil.bench.Decoding;
import dev.veil.bench.ServerProcess;
import dev.veil.node.remo.RemoNode;
import dev.veil.node.remo.RemoScheme;
import dev.veil.protocol.Frame;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.TcpChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code veil bench hostile}: what hostile peers cost a weights server process and an honest node beside them
 * (docs/hardening.md). An honest ReMO node decodes alone, then beside {@code peers} greeted peers that flood LM-head
 * calls (8 MiB replies) and never read; before that, 8 peers each announce a 256 MiB frame and push 48 MiB of it. The
 * server's resident memory (VmRSS) is sampled while they run and after they leave, against the bound it holds for its
 * peers (veil_held_bytes_limit).
 */
public final class HostileBench {
    private static final int ANNOUNCERS = 8, ANNOUNCED = 256 << 20, PUSHED = 48 << 20;

    private final Path model, tokenizer;
    private final RemoScheme remo;
    private final int peers, genTokens;
    private final Duration duration, settle;
    private final String serverMain;
    private final PrintStream out = System.out;
    private final Set<Socket> hostile = ConcurrentHashMap.newKeySet();

    public HostileBench(Path model, Path tokenizer, RemoScheme remo, int peers, Duration duration, int genTokens, String serverMain) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.remo = remo;
        this.peers = peers;
        this.duration = duration;
        this.settle = Duration.ofSeconds(30);
        this.genTokens = genTokens;
        this.serverMain = serverMain;
    }

    public int run() throws Exception {
        Model m = ModelLoader.load(model, tokenizer);
        String id = model.getFileName().toString();
        int metricsPort;
        try (var free = new java.net.ServerSocket(0)) {
            metricsPort = free.getLocalPort();
        }
        try (var server = ServerProcess.start(model, id, serverMain, "--metrics-port", String.valueOf(metricsPort));
             var channel = TcpChannel.connect("127.0.0.1", server.port, null, Duration.ofSeconds(600));
             var node = RemoNode.connect(m, id, channel, remo.config())) {
            var rss = new Rss(server.pid());
            long bound = metric(metricsPort, "veil_held_bytes_limit");
            out.printf(Locale.ROOT, "server           pid %d, %s; holds at most %s for its peers (veil_held_bytes_limit)%n", server.pid(),
                    String.join(" ", ServerProcess.serverJavaCommand().subList(1, ServerProcess.serverJavaCommand().size())), mib(bound));
            decode(m, node, Duration.ofSeconds(5)); // warm-up
            double alone = decode(m, node, duration);
            out.printf(Locale.ROOT, "honest alone     %.1f tokens/s (remo %s, %d tokens from BOS, repeated for %d s)%n", alone,
                    remo.describe(), genTokens, duration.toSeconds());
            out.printf(Locale.ROOT, "idle             %s resident%n", mib(rss.now()));

            rss.reset();
            var stop = new AtomicBoolean();
            List<Thread> announcers = new java.util.ArrayList<>();
            var pushed = new LongAdder();
            for (int i = 0; i < ANNOUNCERS; i++) {
                announcers.add(Thread.ofPlatform().name("veil-bench-announcer").start(() -> announce(server.port, id, pushed)));
            }
            for (Thread t : announcers) t.join();
            sleep(Duration.ofSeconds(5));
            out.printf(Locale.ROOT, "announcers       %d peers each announce %s and push %s (%s pushed): %s resident at most%n", ANNOUNCERS,
                    mib(ANNOUNCED), mib(PUSHED), mib(pushed.sum()), mib(rss.max()));
            leave();
            out.printf(Locale.ROOT, "  after they left %s resident (%d s later)%n", mib(settle(rss)), settle.toSeconds());

            rss.reset();
            var connects = new LongAdder();
            var held = new AtomicLong();
            List<Thread> flooders = new java.util.ArrayList<>();
            for (int i = 0; i < peers; i++) flooders.add(Thread.ofPlatform().daemon().name("veil-bench-flood")
                    .start(() -> flood(server.port, id, stop, connects)));
            var sampler = Thread.ofPlatform().daemon().name("veil-bench-held").start(() -> {
                while (!stop.get()) {
                    held.accumulateAndGet(metricOrZero(metricsPort, "veil_held_bytes"), Math::max);
                    sleep(Duration.ofMillis(250));
                }
            });
            long cpu0 = server.cpuNanos(), wall0 = System.nanoTime();
            double beside = decode(m, node, duration);
            double cpu = (server.cpuNanos() - cpu0) / 1e9, wall = (System.nanoTime() - wall0) / 1e9;
            stop.set(true);
            leave();
            for (Thread t : flooders) t.join(10_000);
            sampler.join();
            out.printf(Locale.ROOT, "non-readers      %d greeted peers flood LM-head calls (8 MiB replies), never read (%d connections): "
                    + "%s resident at most, %s held at most%n", peers, connects.sum(), mib(rss.max()), mib(held.get()));
            out.printf(Locale.ROOT, "honest beside    %.1f tokens/s: %.2fx alone (the server used %.1f s of CPU in %.1f s)%n", beside,
                    beside / alone, cpu, wall);
            out.printf(Locale.ROOT, "  after they left %s resident (%d s later)%n", mib(settle(rss)), settle.toSeconds());
            double after = decode(m, node, duration);
            out.printf(Locale.ROOT, "honest after     %.1f tokens/s (load average %s)%n", after, Decoding.loadAverage());
        }
        return 0;
    }

    /** Tokens per second of greedy decoding from BOS, {@code genTokens} at a time, for {@code d}; each 5 s on stderr. */
    private double decode(Model m, RemoNode node, Duration d) {
        var f = new Forward(m.config(), m.node(), node.linear());
        long t0 = System.nanoTime(), end = t0 + d.toNanos(), tokens = 0, window = t0, windowTokens = 0;
        while (System.nanoTime() < end) {
            var cache = new KVCache(m.config(), genTokens + 1);
            int token = Decoding.startToken(m);
            for (int i = 0; i < genTokens; i++, tokens++) token = Sampler.greedy().sample(f.forward(new int[] {token}, cache, false));
            long now = System.nanoTime();
            if (now - window > 5_000_000_000L) {
                System.err.printf(Locale.ROOT, "  %.1f tokens/s%n", (tokens - windowTokens) / ((now - window) / 1e9));
                window = now;
                windowTokens = tokens;
            }
        }
        return tokens / ((System.nanoTime() - t0) / 1e9);
    }

    /** Greets, announces a frame of ANNOUNCED bytes and pushes PUSHED of them; then holds the connection open. */
    private void announce(int port, String id, LongAdder pushed) {
        try {
            Socket s = greet(port, id);
            Frame.read(s.getInputStream(), 1 << 16); // WELCOME: the frame limit is now the announced one
            var header = ByteBuffer.allocate(Frame.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                    .put((byte) 'V').put((byte) 'L').put((byte) Frame.VERSION).put((byte) 5).putInt(2).putInt(ANNOUNCED).array();
            var out = s.getOutputStream();
            out.write(header);
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < PUSHED / chunk.length; i++) {
                out.write(chunk);
                pushed.add(chunk.length);
            }
            out.flush();
        } catch (IOException e) {
            System.err.println("veil bench: announcer: " + e.getMessage());
        }
    }

    /** A greeted peer that sends LM-head calls and never reads a reply; it connects again whenever it is dropped. */
    private void flood(int port, String id, AtomicBoolean stop, LongAdder connects) {
        while (!stop.get()) {
            try {
                Socket s = greet(port, id);
                connects.increment();
                var welcome = (Message.Welcome) Frame.read(s.getInputStream(), 1 << 16).message();
                int dim = welcome.shape().dim(), vocab = welcome.shape().vocabSize();
                int rows = (8 << 20) / (vocab * Long.BYTES); // an 8 MiB reply
                byte[] call = bytes(Frame.of(3, new Message.Linear(new MatrixId(Projection.LM_HEAD, 0),
                        new Rows.RingElements(Ring.Z64, rows, dim, new long[rows * dim]))));
                var out = s.getOutputStream();
                while (!stop.get()) out.write(call);
            } catch (IOException e) {
                // dropped by the server (it does not wait for our reads): connect again
            }
        }
    }

    private Socket greet(int port, String id) throws IOException {
        var s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", port));
        hostile.add(s);
        s.getOutputStream().write(bytes(Frame.of(1, new Message.Hello(id))));
        return s;
    }

    private void leave() {
        for (Socket s : hostile) {
            try {
                s.close();
            } catch (IOException ignored) {
                // gone anyway
            }
        }
        hostile.clear();
    }

    /** Resident memory {@code settle} after the hostile peers left. */
    private long settle(Rss rss) {
        sleep(settle);
        return rss.now();
    }

    private static byte[] bytes(Frame f) throws IOException {
        var b = new ByteArrayOutputStream();
        f.write(b);
        return b.toByteArray();
    }

    private static long metricOrZero(int port, String name) {
        try {
            return metric(port, name);
        } catch (IOException e) {
            return 0;
        }
    }

    /** One unlabelled value from the server's /metrics. */
    static long metric(int port, String name) throws IOException {
        try (var in = URI.create("http://127.0.0.1:" + port + "/metrics").toURL().openStream()) {
            for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith(name + " ")) return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        return -1;
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "unknown" : String.format(Locale.ROOT, "%,d MiB", bytes >> 20);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** VmRSS of a process, sampled every 100 ms: the most since the last reset. */
    private static final class Rss {
        private final Path status;
        private final AtomicLong max = new AtomicLong();

        Rss(long pid) {
            status = Path.of("/proc/" + pid + "/status");
            Thread.ofPlatform().daemon().name("veil-bench-rss").start(() -> {
                while (true) {
                    max.accumulateAndGet(now(), Math::max);
                    sleep(Duration.ofMillis(100));
                }
            });
        }

        long now() {
            try {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            } catch (IOException | RuntimeException e) {
                // the process is gone
            }
            return -1;
        }

        long max() {
            return max.get();
        }

        void reset() {
            max.set(now());
        }
    }
}
