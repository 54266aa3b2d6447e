package dev.veil.proxy;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.veil.engine.Shared;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.keys.Role;
import dev.veil.node.Schemes;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.TestPki;
import dev.veil.protocol.transport.Tls;
import dev.veil.service.VeilService;
import dev.veil.trust.AttestationPolicy;
import dev.veil.trust.AttestationProvider;
import dev.veil.trust.AttestationVerifier;
import dev.veil.trust.SimulatedProvider;
import dev.veil.trust.TcbVersion;
import dev.veil.weights.InProcessWeightsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * A deployment for the proxy's tests, over real sockets: a CA with node and proxy identities, {@code veil serve}
 * on stories260K (remo-otp, weights server in its process) over mutual TLS 1.3 with SIMULATED evidence, and the
 * hostile nodes an attacker would run (relays and replayers holding identities of the same CA).
 */
final class Deployment implements AutoCloseable {
    static final String ID = "stories260K.bin";
    static final byte[] MEASUREMENT = filled(0x5a);
    private static Model model;

    final TestPki pki;
    final Path node, proxy;
    private final List<AutoCloseable> open = Collections.synchronizedList(new ArrayList<>());

    Deployment(Path dir) throws Exception {
        pki = new TestPki(dir);
        node = pki.role(Role.NODE);
        proxy = pki.role(Role.PROXY);
    }

    static byte[] filled(int b) {
        byte[] m = new byte[48];
        Arrays.fill(m, (byte) b);
        return m;
    }

    static SimulatedProvider simulated(byte[] measurement) {
        return new SimulatedProvider(measurement, 0x30000L, new TcbVersion(0, 3, 0, 8, 115));
    }

    static AttestationVerifier verifier(boolean allowSimulated, byte[]... measurements) {
        return new AttestationVerifier(AttestationPolicy.of(List.of(measurements)), allowSimulated);
    }

    static synchronized Model model() throws IOException {
        if (model == null) model = ModelLoader.load(Shared.storiesBin(), null);
        return model;
    }

    /** {@code veil serve} with the identity in {@code nodeDir} and evidence from {@code provider}, on {@code port} (0: any). */
    VeilService serve(Path nodeDir, AttestationProvider provider, int port) throws IOException {
        return serve(nodeDir, provider, port, Duration.ZERO);
    }

    /** Serve whose every weights-server call first waits {@code perCall}: generations that last, whatever the engine's speed. */
    VeilService serve(Path nodeDir, AttestationProvider provider, int port, Duration perCall) throws IOException {
        Model m = model();
        var scheme = Schemes.create("remo-otp");
        List<Channel> servers = new ArrayList<>();
        for (int i = 0; i < scheme.servers(); i++) {
            Channel server = new InProcessWeightsServer(m, ID, null);
            servers.add(perCall.isZero() ? server : slowed(server, perCall));
        }
        TrustedNode trusted = scheme.open(m, ID, servers);
        var config = new VeilService.Config(m, ID, Map.of("remo-otp", trusted), null, 4, 16, 20, null, 1 << 20, null);
        var service = new VeilService(config).attestation(provider).start("127.0.0.1", port, Tls.context(nodeDir, TestPki.PASSWORD,
                "proxy"));
        open.add(() -> {
            service.close();
            trusted.close();
        });
        return service;
    }

    private static Channel slowed(Channel server, Duration perCall) {
        return dev.veil.protocol.transport.Gate.beforeEachCall(server, () -> {
            try {
                Thread.sleep(perCall);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    static String url(int port) {
        return "https://localhost:" + port;
    }

    AttestedNode attested(int port, AttestationVerifier verifier, List<String> log) {
        return new AttestedNode(URI.create(url(port)), proxy, TestPki.PASSWORD, verifier, Duration.ofSeconds(30), log::add);
    }

    /** A client of the node holding {@code identity} (a proxy's), without attestation: what tests and attackers use. */
    static HttpClient client(Path identity) {
        SSLContext tls = Tls.context(identity, TestPki.PASSWORD, "node");
        return HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).build();
    }

    static HttpResponse<String> get(HttpClient c, String url) throws IOException, InterruptedException {
        return c.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(HttpClient c, String url, String json) throws IOException, InterruptedException {
        return c.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A hostile node on {@code port}: it holds a deployment identity ({@code nodeDir}), answers
     * {@code GET /v1/attestation?QUERY} with {@code evidence.apply(QUERY)}, and records every other request's body, which
     * is what a prompt sent to it would leak.
     */
    HttpsServer hostile(Path nodeDir, int port, Function<String, String> evidence, List<String> received) throws IOException {
        return https(nodeDir, port, ex -> {
            try (ex; InputStream in = ex.getRequestBody()) {
                String body;
                if (ex.getRequestURI().getPath().equals("/v1/attestation")) {
                    body = evidence.apply(ex.getRequestURI().getRawQuery());
                } else {
                    received.add(ex.getRequestURI().getPath() + " " + new String(in.readAllBytes()));
                    body = "{}";
                }
                byte[] bytes = body.getBytes();
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** An HTTPS server on {@code port} with the identity in {@code nodeDir} and Veil's mutual TLS 1.3 parameters. */
    HttpsServer https(Path nodeDir, int port, HttpHandler handler) throws IOException {
        var server = HttpsServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        SSLContext tls = Tls.context(nodeDir, TestPki.PASSWORD, "proxy");
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters p) {
                p.setSSLParameters(Tls.serverParameters(tls.getDefaultSSLParameters()));
            }
        });
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", handler);
        server.start();
        open.add(() -> server.stop(0));
        return server;
    }

    @Override
    public void close() throws Exception {
        for (var c : open.reversed()) c.close();
    }
}
