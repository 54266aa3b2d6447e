package dev.veil.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
import dev.veil.engine.InMemoryModels;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Per-connection log lines and the metrics endpoint: what an operator sees, and never an activation. */
@Timeout(60)
class ObservabilityTest {
    @Test
    void logLinesAndPrometheusCountersNameEventsButNoValues() throws Exception {
        Model model = InMemoryModels.create(InMemoryModels.llama(), 2);
        var c = model.config();
        List<String> log = new CopyOnWriteArrayList<>();
        try (var weights = new WeightsServer("m", c, model.linear(), null);
             var server = TcpServer.start(weights, "127.0.0.1", 0, null, ServerLimits.defaults(), log::add);
             var metrics = new MetricsEndpoint("127.0.0.1", 0, server.metrics(), weights)) {
            try (var wrong = TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(5))) {
                assertThrows(ProtocolException.class, () -> wrong.call(new Message.Hello("other"), Message.Welcome.class));
            }
            float[] secret = new float[c.dim()];
            java.util.Arrays.fill(secret, 1234.5678f);
            try (var ch = TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(5))) {
                ch.call(new Message.Hello("m"), Message.Welcome.class);
                for (int i = 0; i < 3; i++) {
                    var call = new Message.Linear(new MatrixId(Projection.QKV, 0), new Rows.Floats(1, c.dim(), secret));
                    ch.call(call, Message.LinearReply.class);
                }
                assertThrows(ProtocolException.class, () -> ch.call(new Message.Linear(new MatrixId(Projection.QKV, 0),
                        new Rows.Floats(1, 5, new float[] {1234.5678f, 0, 0, 0, 0})), Message.LinearReply.class));
            }
            String page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(page.contains("veil_calls_total{type=\"LINEAR\"} 4"), page);
            assertTrue(page.contains("veil_peers_refused_total{reason=\"hello\"} 1"), page);
            assertTrue(page.contains("veil_errors_total{code=\"BAD_SHAPE\"} 1"), page);
            assertTrue(page.contains("veil_errors_total{code=\"UNKNOWN_MODEL\"} 1"), page);
            assertTrue(page.contains("veil_batch_rows_total 3"), page);
            assertTrue(page.contains("# TYPE veil_connections_open gauge"), page);
            // a page on a rebound name (its own name resolved to this address) gets no counters
            assertEquals("HTTP/1.1 421", statusLine(metrics.port(), "evil.example:" + metrics.port()));
            assertEquals("HTTP/1.1 200 OK", statusLine(metrics.port(), "127.0.0.1:" + metrics.port()));
            // the "left" lines come from the connections' threads, which log them before the server lets go of them
            Eventually.until("both connections have ended", () -> server.metrics().openConnections() == 0);
            String all = String.join("\n", log);
            assertTrue(all.contains("accepted") && all.contains("greeted") && all.contains("refused at HELLO"), all);
            for (String text : List.of(all, page)) assertTrue(!text.contains("1234"), "no activation value in logs or metrics");
        }
    }

    /** The status line of a GET /metrics that names {@code host} (java.net.http will not send another Host). */
    private static String statusLine(int port, String host) throws java.io.IOException {
        try (var socket = new java.net.Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(("GET /metrics HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine().strip();
        }
    }
}
