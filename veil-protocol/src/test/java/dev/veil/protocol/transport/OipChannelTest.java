package dev.veil.protocol.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.veil.engine.inference.Projection;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The node's OIP client against a lying or stalling OIP server (the JDK's HTTP server, scripted): an oversized reply is
 * refused as it is announced or as it arrives, a reply of the wrong shape or datatype fails the call, a silent server
 * fails it at the deadline, and a model that does not fit the node's shape is named. Each is a {@link ProtocolException}
 * with one line, which the node's replicas treat as the server's fault.
 */
@Timeout(60)
class OipChannelTest {
    static final ModelDims DIMS = new ModelDims(8, 16, 1, 2, 2, 4, 32);
    final CountDownLatch never = new CountDownLatch(1);
    HttpServer server;

    interface Infer {
        void answer(HttpExchange e) throws IOException, InterruptedException;
    }

    OipChannel serve(String metadataOutputShape, Infer infer) throws IOException {
        return serve(metadataOutputShape, infer, Duration.ofSeconds(30));
    }

    OipChannel serve(String metadataOutputShape, Infer infer, Duration deadline) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v2/health/ready", e -> reply(e, 200, "{\"ready\":true}"));
        server.createContext("/v2/models/output", e -> {
            if (e.getRequestURI().getPath().endsWith("/infer")) {
                try {
                    e.getRequestBody().readAllBytes();
                    infer.answer(e);
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                }
                e.close();
                return;
            }
            reply(e, 200, "{\"name\":\"output\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,8]}],"
                    + "\"outputs\":[{\"name\":\"output\",\"datatype\":\"FP32\",\"shape\":" + metadataOutputShape + "}]}");
        });
        server.start();
        return OipChannel.connect("127.0.0.1", server.getAddress().getPort(), null, deadline, DIMS);
    }

    static void reply(HttpExchange e, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        e.getResponseHeaders().set("Content-Type", "application/json");
        e.sendResponseHeaders(status, b.length);
        e.getResponseBody().write(b);
        e.close();
    }

    @AfterEach
    void stop() {
        never.countDown();
        if (server != null) server.stop(0);
    }

    static ProtocolException call(OipChannel c) {
        c.call(new Message.Hello("m"), Message.Welcome.class);
        var linear = new Message.Linear(new MatrixId(Projection.LM_HEAD, 0), new Rows.Floats(1, 8, new float[8]));
        return assertThrows(ProtocolException.class, () -> c.call(linear, Message.LinearReply.class));
    }

    @Test
    void aReplyAnnouncedLargerThanTheAnswerAskedForIsRefusedBeforeItIsRead() throws IOException {
        try (var c = serve("[-1,32]", e -> {
            e.sendResponseHeaders(200, 1L << 30);
            e.getResponseBody().write(new byte[1024]);
            e.getResponseBody().flush(); // the head and a first KiB on the wire, then nothing
            never.await();
        })) {
            long t0 = System.nanoTime();
            var e = call(c);
            assertEquals(ErrorCode.TOO_LARGE, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("announced a reply of 1073741824 bytes"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < 15_000_000_000L, "refused as announced, not at the deadline");
        }
    }

    @Test
    void aReplyThatStreamsOnPastItsBoundIsCutOff() throws IOException {
        try (var c = serve("[-1,32]", e -> {
            e.sendResponseHeaders(200, 0); // chunked: no length announced
            byte[] chunk = new byte[64 << 10];
            for (int i = 0; i < 1024; i++) e.getResponseBody().write(chunk); // 64 MiB, unless cut off
        })) {
            var e = call(c);
            assertEquals(ErrorCode.TOO_LARGE, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("sent a reply of over"), e.getMessage());
        }
    }

    @Test
    void aReplyOfTheWrongShapeFailsTheCall() throws IOException {
        try (var c = serve("[-1,32]", e -> reply(e, 200, "{\"outputs\":[{\"name\":\"output\",\"datatype\":\"FP32\",\"shape\":[1,31],"
                + "\"data\":[" + "0,".repeat(30) + "0]}]}"))) {
            var e = call(c);
            assertEquals(ErrorCode.BAD_FRAME, e.code());
            assertTrue(e.getMessage().contains("answered output wrongly: output has shape [1, 31], not [1, 32]"), e.getMessage());
        }
    }

    @Test
    void binaryDataThatDoesNotAddUpFailsTheCall() throws IOException {
        try (var c = serve("[-1,32]", e -> {
            byte[] head = ("{\"outputs\":[{\"name\":\"output\",\"datatype\":\"FP32\",\"shape\":[1,32],"
                    + "\"parameters\":{\"binary_data_size\":128}}]}").getBytes(StandardCharsets.UTF_8);
            e.getResponseHeaders().set("Inference-Header-Content-Length", "" + head.length);
            e.sendResponseHeaders(200, head.length + 64); // half the values it declares
            e.getResponseBody().write(head);
            e.getResponseBody().write(new byte[64]);
        })) {
            var e = call(c);
            assertEquals(ErrorCode.BAD_FRAME, e.code());
            assertTrue(e.getMessage().contains("declares 128 bytes of binary data"), e.getMessage());
        }
    }

    @Test
    void aSilentServerFailsTheCallAtTheDeadline() throws IOException {
        try (var c = serve("[-1,32]", e -> never.await(), Duration.ofSeconds(3))) {
            c.call(new Message.Hello("m"), Message.Welcome.class);
            long t0 = System.nanoTime();
            var e = call(c);
            assertEquals(ErrorCode.TIMEOUT, e.code());
            assertTrue(e.getMessage().startsWith("no reply from OIP weights server 127.0.0.1:"), e.getMessage());
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
        }
    }

    @Test
    void aModelThatDoesNotFitTheNodesShapeIsNamed() throws IOException {
        try (var c = serve("[-1,33]", e -> reply(e, 500, "{}"))) {
            var e = call(c);
            assertEquals(ErrorCode.BAD_SHAPE, e.code());
            assertTrue(e.getMessage().contains("model 'output' does not fit the node's model: it takes [-1, 8] to [-1, 33]"),
                    e.getMessage());
        }
    }

    @Test
    void anErrorStatusIsTheServersOneLine() throws IOException {
        try (var c = serve("[-1,32]", e -> reply(e, 503, "{\"error\":\"busy now\\nsecond line\"}"))) {
            var e = call(c);
            assertEquals(ErrorCode.BUSY, e.code());
            assertTrue(e.getMessage().endsWith("HTTP 503: busy now"), e.getMessage());
        }
    }
}
