package dev.veil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.experiments.plot.LinePlot;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.Counts;
import dev.veil.protocol.transport.Channel;
import dev.veil.service.VeilService;
import dev.veil.weights.InProcessWeightsServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Talaria's Fig. 5 through {@code veil serve}: C concurrent streaming clients (each sends R requests in turn)
 * against a service offering one scheme, for plain, full isolation and every registered scheme; latency per request
 * (p50/p95), time to first token, total tokens/s, as ratios against plain at the same C, and how full the weights
 * server's batches were. Full isolation gives each client a service and a model of its own (its own trusted
 * node, nothing shared but the host). The clients speak HTTP to the service on loopback.
 */
final class ServeBench {
    /** Plain, full isolation, then every other registered scheme (from the registry: a new scheme is benched too). */
    static final List<String> CONFIGS = java.util.stream.Stream.concat(java.util.stream.Stream.of("plain", "isolated"),
            Schemes.types().stream().map(dev.veil.node.SchemeType::name).filter(n -> !n.equals(Schemes.BASELINE))).toList();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] PROMPTS = {"Once upon a time, Lily", "Tom had a big red ball", "The sun was warm and",
            "A little bird sat",
            "Sue and her mom went", "The cat saw a", "Ben liked to play", "One day, a girl named"};

    private final Path model;
    private final Path tokenizer;
    private final int tokens;
    private final int requests;
    private final List<Integer> clients;
    private final Path out;

    ServeBench(Path model, Path tokenizer, int tokens, int requests, List<Integer> clients, Path out) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.tokens = tokens;
        this.requests = requests;
        this.clients = clients;
        this.out = out;
    }

    record Run(double p50, double p95, double ttft50, double tokensPerSecond, double callsPerBatch, double rowsPerBatch) {}

    int run() throws Exception {
        if (tokens < 1 || requests < 1 || clients.isEmpty() || clients.stream().anyMatch(c -> c < 1)) {
            throw new IllegalArgumentException("need -n >= 1, -r >= 1 and --clients of at least 1");
        }
        PrintStream o = System.out;
        Model m = ModelLoader.load(model, tokenizer);
        String id = model.getFileName().toString();
        o.printf(Locale.ROOT, "serve bench: %s, %s concurrent clients in turn, each client %s of %s, over HTTP on loopback%n",
                id, clients.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")),
                Counts.of(requests, "streamed greedy request"), Counts.of(tokens, "token"));
        // An untimed round of every configuration first, so that no scheme pays for the JIT's warm-up in its figures.
        for (String config : CONFIGS) measure(config, m, id, 1);
        Map<String, Run[]> results = new LinkedHashMap<>();
        for (String config : CONFIGS) results.put(config, new Run[clients.size()]);
        for (int ci = 0; ci < clients.size(); ci++) {
            int c = clients.get(ci);
            for (String config : CONFIGS) {
                Run r = measure(config, m, id, c);
                results.get(config)[ci] = r;
                o.printf(Locale.ROOT, "  %-9s C=%d  p50 %.3f s  p95 %.3f s  ttft %.3f s  %.1f tokens/s%s%n", config, c, r.p50, r.p95,
                        r.ttft50,
                        r.tokensPerSecond, Double.isNaN(r.callsPerBatch) ? "" : String.format(Locale.ROOT,
                                "  batches: %.2f calls, %.1f rows",
                                r.callsPerBatch, r.rowsPerBatch));
            }
        }
        o.println();
        o.println("| scheme | clients | p50 latency | p95 latency | time to first token | total tokens/s | weights server: calls (rows) "
                + "per batch |");
        o.println("|---|---|---|---|---|---|---|");
        for (var e : results.entrySet()) {
            for (int ci = 0; ci < clients.size(); ci++) {
                Run r = e.getValue()[ci], p = results.get("plain")[ci];
                o.printf(Locale.ROOT, "| %s | %d | %.2fx | %.2fx | %.2fx | %.2fx | %s |%n", e.getKey(), clients.get(ci), r.p50 / p.p50,
                        r.p95 / p.p95,
                        r.ttft50 / p.ttft50, r.tokensPerSecond / p.tokensPerSecond,
                        Double.isNaN(r.callsPerBatch) ? "-" : String.format(Locale.ROOT, "%.2f (%.1f)", r.callsPerBatch, r.rowsPerBatch));
            }
        }
        o.println("(ratios against plain at the same number of clients in this run; latency and time to first token: lower is better)");
        if (out != null) plot(results);
        return 0;
    }

    /** One configuration at C clients: a fresh service, C clients each sending their requests in turn. */
    private Run measure(String config, Model m, String id, int c) throws Exception {
        List<VeilService> services = new ArrayList<>();
        List<TrustedNode> nodes = new ArrayList<>();
        List<InProcessWeightsServer> servers = new ArrayList<>();
        try {
            int serviceCount = config.equals("isolated") ? c : 1;
            for (int i = 0; i < serviceCount; i++) {
                Model own = config.equals("isolated") && i > 0 ? ModelLoader.load(model, tokenizer) : m;
                String name = config.equals("isolated") ? "plain" : config;
                Scheme scheme = Schemes.create(name, SchemeParams.none());
                List<Channel> channels = new ArrayList<>();
                for (int s = 0; s < scheme.servers(); s++) {
                    var w = new InProcessWeightsServer(own, id, null);
                    servers.add(w);
                    channels.add(w);
                }
                TrustedNode node = TrustedNodes.open(scheme, own, id, channels);
                nodes.add(node);
                var cfg = new VeilService.Config(own, id, Map.of(name, node), null, c, 4 * c, 4 * c, null, 1 << 20,
                        null);
                services.add(new VeilService(cfg).start("127.0.0.1", 0));
            }
            // one untimed request per service: JIT and pools warm
            for (VeilService s : services) request(s.port(), id, PROMPTS[0]);
            long[] before = batchStats(servers);
            List<double[]> samples = new ArrayList<>(); // latency, ttft, tokens
            long t0 = System.nanoTime();
            try (var pool = Executors.newFixedThreadPool(c)) {
                List<Future<List<double[]>>> fs = new ArrayList<>();
                for (int k = 0; k < c; k++) {
                    int port = services.get(k % services.size()).port(), client = k;
                    fs.add(pool.submit(() -> {
                        List<double[]> mine = new ArrayList<>();
                        for (int r = 0; r < requests; r++) mine.add(request(port, id, PROMPTS[(client + r) % PROMPTS.length]));
                        return mine;
                    }));
                }
                for (var f : fs) samples.addAll(f.get());
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            long[] after = batchStats(servers);
            double[] lat = samples.stream().mapToDouble(s -> s[0]).sorted().toArray();
            double[] ttft = samples.stream().mapToDouble(s -> s[1]).sorted().toArray();
            double total = samples.stream().mapToDouble(s -> s[2]).sum();
            long batches = after[0] - before[0], calls = after[1] - before[1], rows = after[2] - before[2];
            return new Run(percentile(lat, 0.5), percentile(lat, 0.95), percentile(ttft, 0.5), total / wall,
                    batches == 0 ? Double.NaN : (double) calls / batches, batches == 0 ? Double.NaN : (double) rows / batches);
        } finally {
            services.forEach(VeilService::close);
            nodes.forEach(TrustedNode::close);
        }
    }

    /** One streamed greedy completion: {latency s, time to first token s, completion tokens}. */
    private double[] request(int port, String id, String prompt) throws Exception {
        var body = JSON.createObjectNode().put("model", id).put("prompt", prompt).put("temperature", 0).put("max_tokens", tokens)
                .put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        long t0 = System.nanoTime();
        double first = Double.NaN;
        int count = 0;
        try (var http = HttpClient.newHttpClient()) {
            var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) throw new IllegalStateException("the service answered " + r.statusCode());
            try (var in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.startsWith("data: {")) continue;
                    var chunk = JSON.readTree(line.substring(6));
                    if (Double.isNaN(first) && !chunk.at("/choices/0/text").asText().isEmpty()) first = (System.nanoTime() - t0) / 1e9;
                    if (chunk.has("usage")) count = chunk.at("/usage/completion_tokens").asInt();
                }
            }
        }
        double latency = (System.nanoTime() - t0) / 1e9;
        return new double[] {latency, Double.isNaN(first) ? latency : first, count};
    }

    private static long[] batchStats(List<InProcessWeightsServer> servers) {
        long[] sum = new long[4];
        for (var s : servers) {
            long[] st = s.server().stats();
            for (int i = 0; i < 4; i++) sum[i] += st[i];
        }
        return sum;
    }

    private static double percentile(double[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1 < 0 ? 0 : Math.ceil(q * sorted.length) - 1)];
    }

    private void plot(Map<String, Run[]> results) throws Exception {
        Files.createDirectories(out);
        List<String> ticks = clients.stream().map(String::valueOf).toList();
        double max = 1;
        for (var e : results.entrySet()) {
            for (int i = 0; i < clients.size(); i++) max = Math.max(max, e.getValue()[i].p50 / results.get("plain")[i].p50);
        }
        var plot = new LinePlot("Latency per request against plain (Talaria Fig. 5)", "concurrent clients", "p50 latency / plain", ticks, 0,
                Math.ceil(max * 1.1));
        for (var e : results.entrySet()) {
            double[] y = new double[clients.size()];
            for (int i = 0; i < y.length; i++) y[i] = e.getValue()[i].p50 / results.get("plain")[i].p50;
            plot.add(e.getKey(), y, e.getKey().equals("plain"));
        }
        plot.writePng(out.resolve("serve-latency.png"));
        plot.writeSvg(out.resolve("serve-latency.svg"));
        System.out.println("plot: " + out.resolve("serve-latency.png") + " (and .svg)");
    }

    static List<Integer> defaultClients() {
        return Arrays.asList(1, 2, 4, 8);
    }
}
