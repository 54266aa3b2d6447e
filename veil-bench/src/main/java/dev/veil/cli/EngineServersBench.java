package dev.veil.cli;

import dev.veil.engine.Parallel;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import dev.veil.node.TrustedNode;
import dev.veil.onnx.Exporter;
import dev.veil.onnx.OrtEngine;
import dev.veil.onnx.RoutedEngine;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.JavaLinearEngine;
import dev.veil.weights.WeightsServer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code veil bench engine-servers}: a whole model through three weights servers on loopback, one per engine (Veil's
 * Java kernels, ONNX Runtime on an export, the two routed by rows), remo in float, z32 and exact, runs alternated
 * server by server: the node-visible prefill time (the prompt's rows in one call per matrix), decode time per token
 * (one row per call), the servers' time multiplying, and whether the engines gave the same tokens.
 */
final class EngineServersBench {
    private static final String TEXT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. ";

    private final Path model, tokenizer;
    private final int promptTokens, tokens, repetitions, warmup;
    private final Exporter.RingGraph graph;
    private final PrintStream out;

    EngineServersBench(Path model, Path tokenizer, int promptTokens, int tokens, Exporter.RingGraph graph, int repetitions, int warmup,
            PrintStream out) {
        if (promptTokens < 1 || tokens < 2 || repetitions < 1 || warmup < 0) {
            throw new IllegalArgumentException("need -p >= 1, -n >= 2, -r >= 1 and --warmup >= 0");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.promptTokens = promptTokens;
        this.tokens = tokens;
        this.graph = graph;
        this.repetitions = repetitions;
        this.warmup = warmup;
        this.out = out;
    }

    int run() throws Exception {
        Model m = ModelLoader.load(model, tokenizer);
        var c = m.config();
        String id = model.getFileName().toString();
        var dims = ModelDims.of(c);
        var limits = ServerLimits.defaults();
        Path dir = Files.createTempDirectory("veil-engine-servers");
        List<WeightsServer> servers = new ArrayList<>();
        List<TcpServer> ports = new ArrayList<>();
        try {
            List<Path> repos = new ArrayList<>();
            for (Numeric numeric : Numeric.values()) {
                Path d = dir.resolve(numeric.toString());
                Exporter.export(c, m.linear(), id, id, numeric, graph, Exporter.Format.ONNX, Exporter.Device.CPU, d, name -> {});
                repos.add(d);
            }
            int threads = Parallel.threads(); // ONNX Runtime gets as many threads as the Java kernels
            servers.add(new WeightsServer(id, c, m.linear(), null));
            servers.add(new WeightsServer(id, dims, OrtEngine.open(repos, OrtEngine.Device.CPU, threads), null, limits.maxPayload()));
            var ort = OrtEngine.open(repos, OrtEngine.Device.CPU, threads);
            var routed = RoutedEngine.open(new JavaLinearEngine(c, m.linear()), dims, ort, RoutedEngine.defaults(ort));
            servers.add(new WeightsServer(id, dims, routed, null, limits.maxPayload()));
            for (var s : servers) ports.add(TcpServer.start(s, "127.0.0.1", 0, null, limits, line -> {}));
            int[] input = prompt(m);
            out.printf(Locale.ROOT, "veil bench engine-servers: %s, a %d-token prompt then %d tokens, %d warm-up and %d timed runs, "
                    + "alternated; %s each; three weights servers in this process on loopback: java, onnxruntime (ring graph %s), %s%n",
                    id, input.length, tokens, warmup, repetitions, dev.veil.protocol.Counts.of(threads, "thread"), graph,
                    routed.describe());
            out.println();
            out.println("| scheme | engine | prefill ms | decode ms/token | server ms multiplying per run | prefill: java / engine "
                    + "| decode: java / engine | same tokens as java |");
            out.println("|---|---|---:|---:|---:|---:|---:|---|");
            for (String numeric : List.of("float", "z32", "exact")) {
                List<Side> sides = new ArrayList<>();
                try {
                    for (int i = 0; i < servers.size(); i++) sides.add(new Side(numeric, m, id, ports.get(i).port(), servers.get(i)));
                    for (int r = -warmup; r < repetitions; r++) for (Side s : sides) s.run(input, r); // a loaded host slows all alike
                    Side java = sides.getFirst();
                    String[] names = {"java", "onnxruntime", "routed"};
                    for (int i = 0; i < sides.size(); i++) {
                        Side s = sides.get(i);
                        out.printf(Locale.ROOT, "| remo %s | %s | %.1f | %.2f | %.1f | %.2f× | %.2f× | %s |%n", numeric, names[i],
                                median(s.prefill), median(s.decode), median(s.busy), median(java.prefill) / median(s.prefill),
                                median(java.decode) / median(s.decode), Arrays.equals(java.generated, s.generated) ? "yes" : "NO");
                    }
                    out.flush();
                } finally {
                    for (Side s : sides) s.close();
                }
            }
            out.printf(Locale.ROOT, "%nrouted: %d batches (%d rows) on java, %d batches (%d rows) on onnxruntime%n", routed.routed()[0],
                    routed.routed()[1], routed.routed()[2], routed.routed()[3]);
        } finally {
            for (var p : ports) p.close();
            for (var s : servers) s.close();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
        return 0;
    }

    /** BOS and then the story's tokens, repeated, up to {@code promptTokens} tokens. */
    private int[] prompt(Model m) {
        int[] once = SamplingOptions.input(m.tokenizer(), TEXT);
        int[] p = new int[Math.min(promptTokens, m.config().contextLength() - tokens)];
        for (int i = 0; i < p.length; i++) p[i] = i < once.length ? once[i] : once[1 + (i - 1) % (once.length - 1)];
        return p;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** remo at one numeric mode through one weights server: each run's prefill, decode and server times. */
    private final class Side implements AutoCloseable {
        final TrustedNode node;
        final WeightsServer server;
        final double[] prefill = new double[repetitions], decode = new double[repetitions], busy = new double[repetitions];
        int[] generated;

        Side(String numeric, Model m, String id, int port, WeightsServer server) {
            var channel = TcpChannel.connect("127.0.0.1", port, null, Duration.ofSeconds(120));
            this.node = TrustedNodes.open(Schemes.create("remo", new SchemeParams(Map.of("numeric", numeric))), m, id, List.of(channel));
            this.server = server;
        }

        void run(int[] input, int r) {
            long[] first = {0};
            long s0 = server.stats()[3], t0 = System.nanoTime();
            try (var session = node.session()) {
                generated = session.generate(input, null, tokens, Sampler.greedy(), t -> {
                    if (first[0] == 0) first[0] = System.nanoTime();
                });
            }
            long t1 = System.nanoTime();
            if (r < 0) return;
            prefill[r] = (first[0] - t0) / 1e6;
            decode[r] = (t1 - first[0]) / 1e6 / (generated.length - 1);
            busy[r] = (server.stats()[3] - s0) / 1e6;
        }

        @Override
        public void close() {
            node.close();
        }
    }
}
