package dev.veil.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.veil.protocol.Counts;
import dev.veil.protocol.transport.OriginPolicy;
import dev.veil.trust.AttestationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * {@code veil proxy}: a plain OpenAI endpoint on the client's loopback interface that forwards every request to an
 * {@link AttestedNode}, blocking answers and server-sent event streams alike (streamed through as they arrive). It
 * forwards nothing before the node is attested, and only over connections whose TLS key is the pinned one; when the
 * node presents another key it attests that key first, and whatever fails is answered with a one-line 502 and logged,
 * the prompt unsent. What the local app may send is bounded: the body size and the requests under way.
 */
public final class VerifyingProxy implements AutoCloseable {
    /** Request headers passed on to the node; everything else (cookies, proxies' headers) stays on this machine. */
    private static final List<String> REQUEST_HEADERS = List.of("Content-Type", "Accept", "Authorization");
    private static final List<String> RESPONSE_HEADERS = List.of("Content-Type", "Cache-Control", "Retry-After", "WWW-Authenticate");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AttestedNode node;
    private final int maxBody;
    private final Semaphore slots;
    private final int maxRequests;
    private final Duration timeout;
    private final Consumer<String> log;
    private List<String> allowedHosts = List.of();
    private OriginPolicy origins;
    private HttpServer server;
    private ExecutorService executor;

    /**
     * @param maxBody     the largest request body the local app may send
     * @param maxRequests requests under way at once; more get 429 at once
     * @param timeout     how long to wait for the node's answer to begin
     */
    public VerifyingProxy(AttestedNode node, int maxBody, int maxRequests, Duration timeout, Consumer<String> log) {
        this.node = node;
        this.maxBody = maxBody;
        this.maxRequests = maxRequests;
        this.slots = new Semaphore(maxRequests);
        this.timeout = timeout;
        this.log = log;
    }

    /** Also answers to these {@code NAME[:PORT]}s ({@code --allowed-host}; {@link OriginPolicy}); before {@link #start}. */
    public VerifyingProxy allowHosts(Collection<String> names) {
        this.allowedHosts = List.copyOf(names);
        return this;
    }

    /**
     * Attests the node (failing with its reason if it does not pass), then listens on {@code host:port}, which must
     * be a loopback address: the local endpoint is plaintext and unauthenticated, for this machine's apps only.
     */
    public VerifyingProxy start(String host, int port) throws IOException {
        if (!InetAddress.getByName(host).isLoopbackAddress()) {
            throw new IllegalArgumentException(host + " is not a loopback address: the proxy's plain endpoint is for this machine only");
        }
        node.verify();
        // the JDK server's bounds on a request's time and headers are the process's: veil's entry point sets them
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server = HttpServer.create(new InetSocketAddress(host, port), 0);
        origins = OriginPolicy.of("http", server.getAddress(), host, allowedHosts);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Requests under way now (each holds one of {@code maxRequests} slots): for tests. */
    int underWay() {
        return maxRequests - slots.availablePermits();
    }

    @Override
    public void close() {
        if (server != null) server.stop(0);
        if (executor != null) executor.shutdownNow();
        var p = node.pinned();
        if (p != null) p.client().shutdownNow();
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            // Before anything else: a page of another site, or on a rebound name, must not use the user's deployment identity.
            var refusal = origins.check(ex.getRequestMethod(), ex.getRequestHeaders()::get);
            if (refusal != null) {
                log.accept("veil proxy: refused " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + ": " + refusal.message());
                error(ex, refusal.status(), refusal.code(), refusal.message());
                return;
            }
            if (!slots.tryAcquire()) {
                ex.getResponseHeaders().set("Retry-After", "1");
                error(ex, 429, "too_many_requests", "the proxy has " + Counts.of(maxRequests, "request") + " under way; try again");
                return;
            }
            try {
                forward(ex);
            } catch (RuntimeException e) {
                log.accept("veil proxy: " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " failed: " + e);
                if (ex.getResponseCode() == -1) error(ex, 500, "proxy_error", "veil proxy: the request failed");
            } finally {
                slots.release();
            }
        } catch (IOException | RuntimeException gone) {
            // the local app went away while we answered
        }
    }

    private void forward(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        if (!method.equals("GET") && !method.equals("POST")) {
            error(ex, 405, "method_not_allowed", "the proxy forwards GET and POST");
            return;
        }
        byte[] body = ex.getRequestBody().readNBytes(maxBody + 1);
        if (body.length > maxBody) {
            error(ex, 413, "request_too_large", "the request body exceeds the proxy's " + maxBody + " bytes");
            return;
        }
        AttestedNode.Pinned pinned = node.pinned();
        HttpResponse<InputStream> answer;
        try {
            try {
                answer = pinned.client().send(request(ex, body), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                if (!keyChanged(e)) throw e;
                pinned = node.reverify(pinned); // nothing was sent: the handshake failed before the request
                answer = pinned.client().send(request(ex, body), HttpResponse.BodyHandlers.ofInputStream());
            }
        } catch (AttestationException e) {
            log.accept("veil proxy: refused " + method + " " + ex.getRequestURI().getPath() + ": " + e.getMessage());
            error(ex, 502, "attestation_failed", "veil proxy: the node failed attestation, nothing was sent: " + e.getMessage());
            return;
        } catch (IOException e) {
            log.accept("veil proxy: " + method + " " + ex.getRequestURI().getPath() + ": the node is unreachable: " + reason(e));
            error(ex, 502, "node_unreachable", "veil proxy: cannot reach the node: " + reason(e));
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        relay(ex, answer, pinned);
    }

    private HttpRequest request(HttpExchange ex, byte[] body) {
        var b = HttpRequest.newBuilder(node.uri().resolve(ex.getRequestURI().getRawPath()
                + (ex.getRequestURI().getRawQuery() != null ? "?" + ex.getRequestURI().getRawQuery() : ""))).timeout(timeout);
        for (String h : REQUEST_HEADERS) {
            String v = ex.getRequestHeaders().getFirst(h);
            if (v != null) b.header(h, v);
        }
        return ex.getRequestMethod().equals("POST") ? b.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build() : b.GET().build();
    }

    /** The node's answer as it arrives: every read is written and flushed at once, so a stream stays a stream. */
    private static void relay(HttpExchange ex, HttpResponse<InputStream> answer, AttestedNode.Pinned pinned) throws IOException {
        for (String h : RESPONSE_HEADERS) answer.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().set(h, v));
        ex.getResponseHeaders().set("Veil-Attestation", pinned.summary());
        long length = answer.headers().firstValueAsLong("Content-Length").orElse(-1);
        try (InputStream in = answer.body()) { // closing it early (the app went away) drops the node connection
            ex.sendResponseHeaders(answer.statusCode(), length < 0 ? 0 : length == 0 ? -1 : length);
            OutputStream out = ex.getResponseBody();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
            out.close();
        }
    }

    /** Did the handshake fail because the node presented a key other than the pinned one? */
    private static boolean keyChanged(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof AttestedNode.KeyChanged) return true;
        return false;
    }

    /** The innermost message of an I/O failure, in one line, saying whether TLS refused the peer. */
    static String reason(Throwable e) {
        Throwable t = e;
        boolean tls = false;
        for (; t.getCause() != null && t.getCause() != t; t = t.getCause()) tls |= t instanceof javax.net.ssl.SSLException;
        tls |= t instanceof javax.net.ssl.SSLException;
        String m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        return AttestedNode.oneLine((tls ? "TLS handshake failed: " : "") + m);
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.putObject("error").put("message", message).put("type", "veil_proxy_error").putNull("param").put("code", code);
        byte[] bytes = JSON.writeValueAsBytes(o);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
