package dev.veil.service;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.veil.engine.model.Model;
import dev.veil.node.ServerViews;
import dev.veil.node.TenantBudget;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.transport.HttpServerLimits;
import dev.veil.protocol.transport.OriginPolicy;
import dev.veil.protocol.transport.Tls;
import dev.veil.trust.AttestationProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * The trusted node as an OpenAI-compatible HTTP service: {@code GET /v1/models}, {@code POST /v1/completions},
 * {@code POST /v1/chat/completions} (blocking and server-sent events) and the page at {@code /} ({@link Routes}). Every request
 * is a session of its own on the trusted node of the scheme it asked for (one the operator offers); its answer
 * carries a {@code veil} object saying what the weights server was sent. The HTTP server is the JDK's own, one
 * virtual thread per exchange (docs/serve.md says why). With a TLS context it serves HTTPS only (mutual TLS 1.3),
 * and with an attestation provider {@code GET /v1/attestation?nonce=HEX} answers evidence bound to that nonce and
 * to the TLS key of the very connection that asks (docs/trust.md). It answers only its own origin ({@link OriginPolicy}):
 * web pages the user opens must not drive it. Requests are bounded per tenant (its API keys' owner, {@link ApiKeys}):
 * its requests at once, and CMIF's privacy budget, charged exactly once a prompt is sanitized, before anything is sent.
 */
public final class VeilService implements AutoCloseable {
    private final Config config;
    private final Admission admission;
    private final Counters counters = new Counters();
    private final CompletionEndpoint completions;
    private final long created = System.currentTimeMillis() / 1000;
    private HttpServer server;
    private ExecutorService executor;
    private AttestationProvider attestation;
    private List<String> allowedHosts = List.of();

    /**
     * What the operator configured.
     *
     * @param nodes          every offered scheme's trusted node by name; the first is the default
     * @param keys           the tenants' keys, or null to accept any request (then the service must listen on loopback)
     * @param maxSessions    sessions that run at once
     * @param queue          requests that may wait for a session; more get 429
     * @param keySessions    requests one tenant may have running or waiting at once
     * @param budget         CMIF: ε each tenant may spend in all (its owner opens and closes it), or null for no limit
     * @param maxBodyBytes   the largest request body accepted
     * @param views          the page's server views (the tools' in-process demo: the attack lab's), or null: the node has none
     */
    public record Config(Model model, String modelId, Map<String, TrustedNode> nodes, ApiKeys keys, int maxSessions, int queue,
                         int keySessions, TenantBudget budget, int maxBodyBytes, ServerViews views) {
        public Config {
            if (nodes.isEmpty()) throw new IllegalArgumentException("a service offers at least one scheme");
            nodes = new LinkedHashMap<>(nodes);
        }

        public String defaultScheme() {
            return nodes.keySet().iterator().next();
        }

        /** The tenant whose key the Authorization header carries ("local" when the service has no keys); 401 otherwise. */
        String tenant(Headers headers) {
            return keys == null ? "local" : keys.client(headers.getFirst("Authorization"));
        }
    }

    public VeilService(Config config) {
        this.config = config;
        this.admission = new Admission(config.maxSessions(), config.queue(), config.keySessions());
        this.completions = new CompletionEndpoint(config, admission, counters);
    }

    /** Answers {@code GET /v1/attestation} with evidence from {@code provider} (only over TLS: it binds the TLS key). */
    public VeilService attestation(AttestationProvider provider) {
        this.attestation = provider;
        return this;
    }

    /** Also answers to these {@code NAME[:PORT]}s ({@code --allowed-host}; {@link OriginPolicy}); before {@link #start}. */
    public VeilService allowHosts(Collection<String> names) {
        this.allowedHosts = List.copyOf(names);
        return this;
    }

    /** Listens on {@code host:port} (port 0: any free port), plain HTTP. */
    public VeilService start(String host, int port) throws IOException {
        return start(host, port, null);
    }

    /**
     * Listens on {@code host:port}; with {@code tls} (from {@link Tls#context}, peer role {@code proxy}) HTTPS only:
     * TLS 1.3, its AEAD suites, and a client certificate of the deployment required. The JDK server's bounds on a
     * request's time and headers are the whole process's: its entry point sets them ({@link HttpServerLimits}).
     */
    public VeilService start(String host, int port, SSLContext tls) throws IOException {
        executor = Executors.newVirtualThreadPerTaskExecutor();
        if (tls == null) {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } else {
            var https = HttpsServer.create(new InetSocketAddress(host, port), 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters p) {
                    p.setSSLParameters(Tls.serverParameters(tls.getDefaultSSLParameters()));
                }
            });
            server = https;
        }
        var origins = OriginPolicy.of(tls == null ? "http" : "https", server.getAddress(), host, allowedHosts);
        server.setExecutor(executor);
        server.createContext("/", new Routes(origins, config, new ModelsEndpoint(config, created),
                new AttestationEndpoint(attestation), completions));
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public Config config() {
        return config;
    }

    /** Sessions started, sessions cancelled by a client that went away, tokens generated: for logs and tests. */
    public long[] counters() {
        return counters.snapshot();
    }

    /** Sessions running now. */
    public int running() {
        return admission.running(config.maxSessions());
    }

    /** Reads and checks a completion request as the endpoint does, without running it (the API fuzz test's entry). */
    CheckedRequest check(Headers headers, InputStream in, boolean chat) throws IOException {
        return completions.reader().read(headers, in, chat);
    }

    @Override
    public void close() {
        if (server != null) server.stop(0);
        if (executor != null) executor.shutdownNow();
    }
}
