package dev.veil.weights;

import com.sun.net.httpserver.HttpServer;
import dev.veil.protocol.transport.OriginPolicy;
import dev.veil.protocol.transport.ServerMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * {@code GET /metrics} in Prometheus' text format: the transport's counters and the weights server's. The JDK's
 * own HTTP server (jdk.httpserver) is enough for one read-only page, and adds no dependency. Counters only:
 * no address, payload, activation or model input is ever in it. Loopback unless told otherwise, and, like every HTTP
 * endpoint of Veil, it answers only requests that name it ({@link OriginPolicy}): a web page on a rebound name
 * cannot read the counters.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final HttpServer http;

    /** @param more further sections of the page (the attestation gate's), written after the weights server's */
    @SafeVarargs
    public MetricsEndpoint(String host, int port, ServerMetrics transport, WeightsServer weights, Consumer<StringBuilder>... more)
            throws IOException {
        http = HttpServer.create(new InetSocketAddress(host, port), 8);
        var origins = OriginPolicy.of("http", http.getAddress(), host, java.util.List.of());
        http.setExecutor(Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("veil-metrics").factory()));
        http.createContext("/metrics", exchange -> {
            try (exchange) {
                if (!"GET".equals(exchange.getRequestMethod())) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                var refusal = origins.check(exchange.getRequestMethod(), exchange.getRequestHeaders()::get);
                if (refusal != null) {
                    exchange.sendResponseHeaders(refusal.status(), -1);
                    return;
                }
                var text = new StringBuilder();
                transport.prometheus(text);
                weights.prometheus(text);
                for (var section : more) section.accept(text);
                byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        http.start();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        ((java.util.concurrent.ExecutorService) http.getExecutor()).shutdownNow();
    }
}
