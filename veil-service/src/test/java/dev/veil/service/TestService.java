package dev.veil.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.attack.AttackerViews;
import dev.veil.engine.Shared;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.node.Schemes;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.Gate;
import dev.veil.weights.InProcessWeightsServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A service on the shared stories260K model with its weights servers in this process, on a free loopback port. */
final class TestService implements AutoCloseable {
    static final String ID = "stories260K.bin";
    /** Reads answers in tests (the service's own JSON is jackson-core's streaming API; databind is the tests' only). */
    static final ObjectMapper JSON = new ObjectMapper();
    private static Model model;

    final VeilService service;
    final String base;

    /** The default offer: remo-otp (default), plain, remo and cmif, in-process, page views on. */
    static TestService start() throws IOException {
        return start(null, 4, 16, 20, Double.POSITIVE_INFINITY, "remo-otp", "plain", "remo", "cmif");
    }

    static TestService start(ApiKeys keys, int maxSessions, int queue, int keySessions, double budget,
            String... schemes) throws IOException {
        return start(new Gate(), keys, maxSessions, queue, keySessions, budget, schemes);
    }

    /** As above, every call to the schemes' weights servers passing {@code gate}. */
    static TestService start(Gate gate, ApiKeys keys, int maxSessions, int queue, int keySessions, double budget,
            String... schemes) throws IOException {
        return start(gate, keys, maxSessions, queue, keySessions, budget, List.of(), true, schemes);
    }

    /** As the node jar serves: no attacker's view (its weights servers are elsewhere; here, still in this process). */
    static TestService withoutViews(String... schemes) throws IOException {
        return start(new Gate(), null, 4, 16, 20, Double.POSITIVE_INFINITY, List.of(), false, schemes);
    }

    /** A service with {@code keys} offering {@code schemes} that also answers to {@code allowedHosts} (--allowed-host). */
    static TestService allowing(List<String> allowedHosts, ApiKeys keys, String... schemes) throws IOException {
        return start(new Gate(), keys, 4, 16, 20, Double.POSITIVE_INFINITY, allowedHosts, true, schemes);
    }

    private static TestService start(Gate gate, ApiKeys keys, int maxSessions, int queue, int keySessions, double budget,
            List<String> allowedHosts, boolean views, String... schemes) throws IOException {
        Model m = model();
        System.setProperty("veil.shared", Shared.root().toString()); // CMIF's default token-frequency corpus
        Map<String, TrustedNode> nodes = new LinkedHashMap<>();
        for (String s : schemes) {
            var scheme = scheme(s);
            List<Channel> servers = new java.util.ArrayList<>();
            for (int i = 0; i < scheme.servers(); i++) servers.add(gate.wrap(new InProcessWeightsServer(m, ID, null)));
            nodes.put(scheme.name(), scheme.open(m, ID, servers));
        }
        var limit = Double.isInfinite(budget) ? null : new dev.veil.node.cmif.PrivacyBudget(budget); // in memory
        var config = new VeilService.Config(m, ID, nodes, keys, maxSessions, queue, keySessions, limit, 1 << 20,
                views ? new AttackerViews(m, ID) : null);
        return new TestService(new VeilService(config).allowHosts(allowedHosts).start("127.0.0.1", 0));
    }

    /** A scheme by name, with parameters after a colon: "cmif:p=0,sanitizer=em". */
    static dev.veil.node.Scheme scheme(String spec) {
        int colon = spec.indexOf(':');
        if (colon < 0) return Schemes.create(spec);
        Map<String, String> params = new LinkedHashMap<>();
        for (String kv : spec.substring(colon + 1).split(",")) {
            params.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        return Schemes.create(spec.substring(0, colon), new dev.veil.node.SchemeParams(params));
    }

    private TestService(VeilService service) {
        this.service = service;
        this.base = "http://127.0.0.1:" + service.port();
    }

    static synchronized Model model() throws IOException {
        if (model == null) model = ModelLoader.load(Shared.storiesBin(), null);
        return model;
    }

    /** The plain engine's greedy continuation of a raw prompt, as {@code veil generate} prints it (no final newline). */
    static String greedy(String prompt, int maxTokens) throws IOException {
        Model m = model();
        Prompt p = Prompt.raw(m.tokenizer(), prompt);
        int[] out = new Generator(m, new LocalLinearOps(m.config(), m.linear())).generate(p.tokens(), maxTokens, Sampler.greedy(), t -> {});
        return m.tokenizer().decode(p.previous(), out);
    }

    /** What a fresh in-process session of {@code scheme} reports for a greedy raw prompt: its traffic, exactly. */
    static dev.veil.node.SessionReport report(String scheme, String prompt, int maxTokens) throws IOException {
        Model m = model();
        var s = Schemes.create(scheme);
        List<dev.veil.protocol.transport.Channel> servers = new java.util.ArrayList<>();
        for (int i = 0; i < s.servers(); i++) servers.add(new InProcessWeightsServer(m, ID, null));
        int[] tokens = Prompt.raw(m.tokenizer(), prompt).tokens();
        try (var node = s.open(m, ID, servers); var session = node.session()) {
            session.generate(tokens, new boolean[tokens.length], maxTokens, Sampler.greedy(), t -> {});
            return session.report();
        }
    }

    String get(String path) throws IOException, InterruptedException {
        try (var http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    HttpResponse<String> post(String path, String json, String... headers) throws IOException, InterruptedException {
        return post(path, json.getBytes(java.nio.charset.StandardCharsets.UTF_8), headers);
    }

    HttpResponse<String> post(String path, byte[] body, String... headers) throws IOException, InterruptedException {
        var b = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type",
                "application/json");
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        try (var http = HttpClient.newHttpClient()) {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Override
    public void close() {
        service.close();
        service.config().nodes().values().forEach(TrustedNode::close);
    }
}
