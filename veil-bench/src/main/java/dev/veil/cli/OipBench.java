package dev.veil.cli;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.grpc.OipGrpcServer;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transport.ByteBudget;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.OipChannel;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.OipServer;
import dev.veil.weights.WeightsServer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code veil bench oip}: each scheme with a weights server, its calls over Veil's protocol and over the Open
 * Inference Protocol v2 (HTTP/REST, binary tensors) to one weights server in this process on loopback, which serves
 * both ports: the node-visible time per generated token (the median of the runs, the prompt's prefill included), the
 * wire bytes per token (Veil: frames, headers included; OIP: HTTP heads and bodies as the server read and wrote them),
 * and that both generate the same tokens.
 */
final class OipBench {
    private static final String PROMPT = "Lily and Ben";

    private final Path model, tokenizer;
    private final int tokens, repetitions, warmup;
    private final PrintStream out;

    OipBench(Path model, Path tokenizer, int tokens, int repetitions, int warmup, PrintStream out) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.tokens = tokens;
        this.repetitions = repetitions;
        this.warmup = warmup;
        this.out = out;
    }

    private record Config(String label, String scheme, Map<String, String> params) {}

    int run() throws Exception {
        Model m = ModelLoader.load(model, tokenizer);
        String id = model.getFileName().toString();
        var dims = ModelDims.of(m.config());
        var limits = ServerLimits.defaults();
        try (var weights = new WeightsServer(id, m.config(), m.linear(), m.node(), null, limits.maxPayload())) {
            var budget = ByteBudget.of(limits, 3);
            var tcp = TcpServer.start(weights, "127.0.0.1", 0, null, limits, budget, line -> {});
            var oip = OipServer.start(weights, "127.0.0.1", 0, null, limits, budget, line -> {});
            var grpc = OipGrpcServer.start(weights, "127.0.0.1", 0, null, limits, budget, line -> {});
            try {
                int[] input = SamplingOptions.input(m.tokenizer(), PROMPT);
                out.printf(Locale.ROOT, "OIP vs Veil's protocol: %s, %d tokens after \"%s\" (%d prompt tokens), %d warm-up and %d "
                        + "timed runs each, loopback, one weights server in this process serving its three ports%n", id, tokens, PROMPT,
                        input.length, warmup, repetitions);
                out.println();
                out.println("| scheme | Veil ms/token | OIP ms/token | OIP / Veil | OIP over the JDK's HttpClient ms/token | JDK / Veil "
                        + "| OIP over gRPC ms/token | gRPC / Veil | Veil bytes/token | OIP bytes/token | gRPC bytes/token | same tokens |");
                out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
                var configs = List.of(new Config("remo (float)", "remo", Map.of()),
                        new Config("remo (exact, Z_2^64)", "remo", Map.of("numeric", "exact")),
                        new Config("remo-otp", "remo-otp", Map.of()), new Config("shares", "shares", Map.of()));
                var deadline = Duration.ofSeconds(60);
                for (Config c : configs) {
                    var veil = new Side(c, m, id, () -> TcpChannel.connect("127.0.0.1", tcp.port(), null, deadline), null);
                    var http = new Side(c, m, id, () -> OipChannel.connect("127.0.0.1", oip.port(), null, deadline, dims), oip);
                    var jdk = new Side(c, m, id, () -> jdkChannel(oip.port(), deadline, dims), oip);
                    var rpc = new Side(c, m, id, () -> grpcChannel(grpc.port(), deadline, dims), null);
                    try (veil; http; jdk; rpc) {
                        // alternated run by run, so that the other load of a shared machine falls on all alike
                        for (int r = -warmup; r < repetitions; r++) {
                            veil.run(input, r);
                            http.run(input, r);
                            jdk.run(input, r);
                            rpc.run(input, r);
                        }
                    }
                    boolean same = Arrays.equals(veil.generated, http.generated) && Arrays.equals(veil.generated, jdk.generated)
                            && Arrays.equals(veil.generated, rpc.generated);
                    double v = veil.msPerToken(), h = http.msPerToken(), j = jdk.msPerToken(), g = rpc.msPerToken();
                    out.printf(Locale.ROOT, "| %s | %.3f | %.3f | %.2fx | %.3f | %.2fx | %.3f | %.2fx | %.0f | %.0f | %.0f | %s |%n",
                            c.label(), v, h, h / v, j, j / v, g, g / v, veil.bytesPerToken(), http.bytesPerToken(), rpc.bytesPerToken(),
                            same ? "yes" : "NO");
                }
                perCall(tcp.port(), oip.port(), grpc.port(), dims, id);
                grpcJars();
            } finally {
                grpc.close();
                oip.close();
                tcp.close();
            }
        }
        return 0;
    }

    /** An OIP channel over the JDK's HTTP client (the node's client before Http1), for comparison. */
    private static Channel jdkChannel(int port, Duration deadline, ModelDims dims) {
        return OipChannel.over(new JdkOipTransport("127.0.0.1", port, deadline), "127.0.0.1", port, deadline, dims);
    }

    /** An OIP channel over gRPC (the generated stub), for comparison: tools only. */
    private static Channel grpcChannel(int port, Duration deadline, ModelDims dims) {
        return OipChannel.over(new GrpcOipTransport("127.0.0.1", port), "127.0.0.1", port, deadline, dims);
    }

    /**
     * What a gRPC client would add to the node's jar: the compressed bytes of gRPC's client stack (gRPC with Netty shaded and
     * its native transports, protobuf, Guava, the rest) and the generated stubs, counted entry by entry in the jars of this
     * class path (the separate jars, or veil.jar that holds them all).
     */
    private void grpcJars() throws java.io.IOException {
        var parts = new java.util.LinkedHashMap<String, String[]>();
        parts.put("gRPC with Netty shaded", new String[] {"io/grpc/"});
        parts.put("its native transports", new String[] {"META-INF/native/libio_grpc_netty_shaded"});
        parts.put("protobuf", new String[] {"com/google/protobuf/"});
        parts.put("Guava", new String[] {"com/google/common/", "com/google/thirdparty/"});
        parts.put("the rest (common protos, Gson, PerfMark, annotations)", new String[] {"com/google/rpc/", "com/google/type/",
            "com/google/api/", "com/google/longrunning/", "com/google/cloud/", "com/google/geo/", "com/google/logging/",
            "com/google/gson/", "io/perfmark/", "com/google/errorprone/", "javax/annotation/", "org/codehaus/mojo/animal_sniffer/",
            "com/google/j2objc/", "org/jspecify/"});
        parts.put("the generated stubs", new String[] {"dev/veil/grpc/v2/"});
        var bytes = new long[parts.size()];
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!e.endsWith(".jar")) continue;
            try (var jar = new java.util.zip.ZipFile(e)) {
                for (var it = jar.entries().asIterator(); it.hasNext(); ) {
                    var entry = it.next();
                    int i = 0;
                    for (String[] prefixes : parts.values()) {
                        for (String prefix : prefixes) if (entry.getName().startsWith(prefix)) bytes[i] += entry.getCompressedSize();
                        i++;
                    }
                }
            }
        }
        long total = Arrays.stream(bytes).sum();
        var items = new ArrayList<String>();
        int i = 0;
        for (String name : parts.keySet()) items.add(String.format(Locale.ROOT, "%s %.2f MiB", name, bytes[i++] / 1048576.0));
        out.println();
        out.printf(Locale.ROOT, "A gRPC client in the node would add %.2f MiB compressed to its jar: %s%n", total / 1048576.0,
                String.join(", ", items));
    }

    /**
     * One LINEAR of one row (QKV of layer 0, float) over and over, alternating: Veil's client, the node's OIP client
     * (OipChannel on Http1), the same channel over the JDK's HTTP client, and a bare HTTP/1.1 exchange on one socket (the
     * same bytes, no client library): where the time goes.
     */
    private void perCall(int veilPort, int oipPort, int grpcPort, ModelDims dims, String id) throws Exception {
        int d = dims.dim(), calls = 2000;
        var call = new dev.veil.protocol.Message.Linear(new dev.veil.protocol.MatrixId(dev.veil.engine.inference.Projection.QKV, 0),
                new dev.veil.protocol.Rows.Floats(1, d, new float[d]));
        String json = "{\"inputs\":[{\"name\":\"input\",\"shape\":[1," + d + "],\"datatype\":\"FP32\",\"parameters\":"
                + "{\"binary_data_size\":" + 4 * d + "}}],\"outputs\":[{\"name\":\"output\",\"parameters\":{\"binary_data\":true}}]}";
        byte[] head = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] request = ("POST /v2/models/blk.0.attn_qkv/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + (head.length + 4 * d)
                + "\r\nInference-Header-Content-Length: " + head.length + "\r\n\r\n" + json)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        request = Arrays.copyOf(request, request.length + 4 * d);
        double[][] us = new double[6][repetitions];
        var stubChannel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext()
                .directExecutor().build();
        var stub = dev.veil.grpc.v2.GRPCInferenceServiceGrpc.newBlockingStub(stubChannel);
        var bare = dev.veil.grpc.v2.ModelInferRequest.newBuilder().setModelName("blk.0.attn_qkv");
        bare.addInputsBuilder().setName("input").setDatatype("FP32").addShape(1).addShape(d);
        var stubCall = bare.addRawInputContents(com.google.protobuf.ByteString.copyFrom(new byte[4 * d])).build();
        try (var veil = TcpChannel.connect("127.0.0.1", veilPort, null, Duration.ofSeconds(60));
             var http = OipChannel.connect("127.0.0.1", oipPort, null, Duration.ofSeconds(60), dims);
             var jdk = jdkChannel(oipPort, Duration.ofSeconds(60), dims);
             var rpc = grpcChannel(grpcPort, Duration.ofSeconds(60), dims);
             var raw = new java.net.Socket("127.0.0.1", oipPort)) {
            veil.call(new dev.veil.protocol.Message.Hello(id), dev.veil.protocol.Message.Welcome.class);
            http.call(new dev.veil.protocol.Message.Hello(id), dev.veil.protocol.Message.Welcome.class);
            jdk.call(new dev.veil.protocol.Message.Hello(id), dev.veil.protocol.Message.Welcome.class);
            rpc.call(new dev.veil.protocol.Message.Hello(id), dev.veil.protocol.Message.Welcome.class);
            raw.setTcpNoDelay(true);
            var in = new java.io.BufferedInputStream(raw.getInputStream());
            var out = raw.getOutputStream();
            for (int r = -warmup; r < repetitions; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) veil.exchange(call);
                long t1 = System.nanoTime();
                for (int i = 0; i < calls; i++) http.exchange(call);
                long t2 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    out.write(request);
                    out.flush();
                    skipReply(in);
                }
                long t3 = System.nanoTime();
                for (int i = 0; i < calls; i++) jdk.exchange(call);
                long t4 = System.nanoTime();
                for (int i = 0; i < calls; i++) rpc.exchange(call);
                long t5 = System.nanoTime();
                for (int i = 0; i < calls; i++) stub.modelInfer(stubCall);
                long t6 = System.nanoTime();
                if (r < 0) continue;
                us[5][r] = (t6 - t5) / 1e3 / calls;
                us[4][r] = (t5 - t4) / 1e3 / calls;
                us[0][r] = (t1 - t0) / 1e3 / calls;
                us[1][r] = (t2 - t1) / 1e3 / calls;
                us[2][r] = (t3 - t2) / 1e3 / calls;
                us[3][r] = (t4 - t3) / 1e3 / calls;
            }
        }
        for (double[] u : us) Arrays.sort(u);
        out.println();
        int mid = repetitions / 2;
        out.printf(Locale.ROOT, "One LINEAR of 1 row (blk.0.attn_qkv, FP32), %d calls a run, median of %d runs: Veil's client %.1f us, "
                + "OIP over the node's client (Http1) %.1f us (%.2fx), OIP over the JDK's HTTP client %.1f us (%.2fx), "
                + "OIP as a bare HTTP/1.1 exchange on one socket %.1f us (%.2fx), OIP over gRPC (grpc-java) %.1f us (%.2fx), "
                + "OIP as a bare gRPC stub call %.1f us (%.2fx)%n", calls, repetitions, us[0][mid], us[1][mid], us[1][mid] / us[0][mid],
                us[3][mid], us[3][mid] / us[0][mid], us[2][mid], us[2][mid] / us[0][mid], us[4][mid], us[4][mid] / us[0][mid], us[5][mid],
                us[5][mid] / us[0][mid]);
        stubChannel.shutdownNow();
    }

    /** Reads one HTTP reply (head and Content-Length body) and drops it. */
    private static void skipReply(java.io.InputStream in) throws java.io.IOException {
        var head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new java.io.EOFException("the OIP server closed");
            head.append((char) b);
        }
        int i = head.indexOf("Content-Length: ");
        int length = Integer.parseInt(head.substring(i + 16, head.indexOf("\r\n", i)));
        in.readNBytes(length);
    }

    /** One scheme's node over one protocol: its runs' times and bytes. */
    private final class Side implements AutoCloseable {
        final List<Channel> channels = new ArrayList<>();
        final TrustedNode node;
        final OipServer oip;
        final double[] ms = new double[repetitions];
        long bytes;
        int[] generated;
        boolean[] editable;

        Side(Config c, Model m, String id, java.util.function.Supplier<Channel> dial, OipServer oip) {
            var scheme = Schemes.create(c.scheme(), new SchemeParams(c.params()));
            for (int i = 0; i < scheme.servers(); i++) channels.add(dial.get());
            this.node = TrustedNodes.open(scheme, m, id, channels);
            this.oip = oip;
            this.editable = null;
            this.model = m;
        }

        final Model model;

        void run(int[] input, int r) {
            if (editable == null) editable = SamplingOptions.userTokens(model.tokenizer(), input);
            long before = bytes(), t0 = System.nanoTime();
            try (var session = node.session()) {
                generated = session.generate(input, editable, tokens, Sampler.greedy(), t -> {});
            }
            long t1 = System.nanoTime();
            if (r < 0) return;
            ms[r] = (t1 - t0) / 1e6 / generated.length;
            bytes += bytes() - before;
        }

        private long bytes() {
            return oip == null ? traffic(channels) : oip.bytesIn() + oip.bytesOut();
        }

        double msPerToken() {
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            return sorted[repetitions / 2];
        }

        double bytesPerToken() {
            return (double) bytes / repetitions / generated.length;
        }

        @Override
        public void close() {
            node.close();
        }
    }

    private static long traffic(List<Channel> channels) {
        return channels.stream().mapToLong(ch -> ch.traffic().bytesSent() + ch.traffic().bytesReceived()).sum();
    }
}
