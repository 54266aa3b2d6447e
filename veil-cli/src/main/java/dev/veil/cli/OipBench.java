package dev.veil.cli;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.ModelDims;
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
 * {@code veil bench --mode oip}: each scheme with a weights server, its calls over Veil's protocol and over the Open
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

    private record Run(double msPerToken, double bytesPerToken, int[] tokens) {}

    int run() throws Exception {
        Model m = ModelLoader.load(model, tokenizer);
        String id = model.getFileName().toString();
        var dims = ModelDims.of(m.config());
        var limits = ServerLimits.defaults();
        try (var weights = new WeightsServer(id, m.config(), m.linear(), m.node(), null, limits.maxPayload())) {
            var tcp = TcpServer.start(weights, "127.0.0.1", 0, null, limits, line -> {});
            var oip = OipServer.start(weights, "127.0.0.1", 0, null, limits, line -> {});
            try {
                int[] input = SamplingOptions.input(m.tokenizer(), PROMPT);
                out.printf(Locale.ROOT, "OIP vs Veil's protocol: %s, %d tokens after \"%s\" (%d prompt tokens), %d warm-up and %d "
                        + "timed runs each, loopback, one weights server in this process serving both ports%n", id, tokens, PROMPT,
                        input.length, warmup, repetitions);
                out.println();
                out.println("| scheme | Veil ms/token | OIP ms/token | OIP / Veil | Veil bytes/token | OIP bytes/token | same tokens |");
                out.println("|---|---:|---:|---:|---:|---:|---|");
                var configs = List.of(new Config("remo (float)", "remo", Map.of()),
                        new Config("remo (exact, Z_2^64)", "remo", Map.of("numeric", "exact")),
                        new Config("remo-otp", "remo-otp", Map.of()), new Config("shares", "shares", Map.of()));
                for (Config c : configs) {
                    var deadline = Duration.ofSeconds(60);
                    Run veil = measure(c, m, id, input, () -> TcpChannel.connect("127.0.0.1", tcp.port(), null, deadline), null);
                    Run http = measure(c, m, id, input, () -> OipChannel.connect("127.0.0.1", oip.port(), null, deadline, dims), oip);
                    out.printf(Locale.ROOT, "| %s | %.3f | %.3f | %.2fx | %.0f | %.0f | %s |%n", c.label(), veil.msPerToken(),
                            http.msPerToken(),
                            http.msPerToken() / veil.msPerToken(), veil.bytesPerToken(), http.bytesPerToken(),
                            Arrays.equals(veil.tokens(), http.tokens()) ? "yes" : "NO");
                }
            } finally {
                oip.close();
                tcp.close();
            }
        }
        return 0;
    }

    private Run measure(Config c, Model m, String id, int[] input, java.util.function.Supplier<Channel> dial, OipServer oip) {
        var scheme = Schemes.create(c.scheme(), new SchemeParams(c.params()));
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < scheme.servers(); i++) channels.add(dial.get());
        boolean[] editable = SamplingOptions.userTokens(m.tokenizer(), input);
        try (TrustedNode node = Deployments.open(scheme, m, id, channels)) {
            int[] generated = null;
            double[] ms = new double[repetitions];
            long bytes = 0;
            for (int r = -warmup; r < repetitions; r++) {
                long sent0 = traffic(channels), oip0 = oip == null ? 0 : oip.bytesIn() + oip.bytesOut();
                long t0 = System.nanoTime();
                try (var session = node.session()) {
                    generated = session.generate(input, editable, tokens, Sampler.greedy(), t -> {});
                }
                long t1 = System.nanoTime();
                if (r < 0) continue;
                ms[r] = (t1 - t0) / 1e6 / generated.length;
                bytes += oip == null ? traffic(channels) - sent0 : oip.bytesIn() + oip.bytesOut() - oip0;
            }
            Arrays.sort(ms);
            return new Run(ms[repetitions / 2], (double) bytes / repetitions / generated.length, generated);
        }
    }

    private static long traffic(List<Channel> channels) {
        return channels.stream().mapToLong(ch -> ch.traffic().bytesSent() + ch.traffic().bytesReceived()).sum();
    }
}
