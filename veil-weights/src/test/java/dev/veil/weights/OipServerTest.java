package dev.veil.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
import dev.veil.engine.InMemoryModels;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.oip.Json;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.protocol.transport.OipChannel;
import dev.veil.protocol.transport.ServerLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The weights server's Open Inference Protocol port against Veil's own client and against hostile peers on raw sockets:
 * every malformed or oversized request gets the protocol's error status with a JSON error, memory stays bounded, and a
 * slow or silent peer holds up nobody else.
 */
@Timeout(60)
class OipServerTest {
    final Model model = InMemoryModels.create(InMemoryModels.llama(), 2);
    final ModelDims dims = ModelDims.of(model.config());
    final ServerLimits limits = ServerLimits.defaults().withGreetingDeadline(Duration.ofSeconds(2)).withFrameDeadline(Duration.ofSeconds(2))
            .withTick(Duration.ofMillis(50)).withMaxConnections(8);
    WeightsServer weights;
    OipServer server;

    @BeforeEach
    void start() throws IOException {
        weights = new WeightsServer("m", model.config(), model.linear(), null, null, limits.maxPayload());
        server = OipServer.start(weights, "127.0.0.1", 0, null, limits, line -> {});
    }

    @AfterEach
    void stop() {
        server.close();
        weights.close();
    }

    /** One HTTP exchange on a fresh connection: the status line's code and the body. */
    record Answer(int status, String head, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String error() {
            return Json.string(Json.object(Json.parse(text()), "an error").get("error"), "error");
        }
    }

    Answer http(String method, String path, Map<String, String> headers, byte[] body) throws IOException {
        try (var s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            send(s.getOutputStream(), method, path, headers, body);
            return read(s.getInputStream());
        }
    }

    static void send(OutputStream out, String method, String path, Map<String, String> headers, byte[] body) throws IOException {
        var h = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        if (body != null && !headers.containsKey("Content-Length")) h.append("Content-Length: ").append(body.length).append("\r\n");
        out.write(h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) out.write(body);
        out.flush();
    }

    static Answer read(InputStream in) throws IOException {
        var head = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) throw new IOException("closed before a reply");
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') break;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(text.substring(9, 12));
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).strip());
        }
        return new Answer(status, text, in.readNBytes(length));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    String jsonInput(String datatype, int rows, int cols, String data) {
        return "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"" + datatype + "\",\"shape\":[" + rows + "," + cols + "],\"data\":"
                + data + "}]}";
    }

    @Test
    void healthMetadataAndUnknownModelsAnswerAsTheProtocolSays() throws IOException {
        assertEquals(200, http("GET", "/v2/health/live", Map.of(), null).status());
        assertEquals(200, http("GET", "/v2/health/ready", Map.of(), null).status());
        var meta = Json.object(Json.parse(http("GET", "/v2", Map.of(), null).text()), "server");
        assertTrue(Json.list(meta.get("extensions"), "ext").contains("binary_tensor_data"), meta.toString());
        var q = Json.object(Json.parse(http("GET", "/v2/models/blk.1.attn_qkv.z64", Map.of(), null).text()), "model");
        assertEquals("blk.1.attn_qkv.z64", q.get("name"));
        assertEquals(200, http("GET", "/v2/models/output/ready", Map.of(), null).status());
        assertEquals(200, http("GET", "/v2/models/output/versions/1/ready", Map.of(), null).status());
        for (String missing : new String[] {"/v2/models/blk.2.attn_qkv/ready", "/v2/models/nope", "/v2/models/output.z16/ready"}) {
            var a = http("GET", missing, Map.of(), null);
            assertEquals(404, a.status(), missing);
            assertTrue(a.error().contains("unknown model"), a.text());
        }
        assertEquals(404, http("GET", "/metrics", Map.of(), null).status());
        assertEquals(405, http("DELETE", "/v2/health/live", Map.of(), null).status());
        var page = new StringBuilder();
        server.prometheus(page);
        assertTrue(page.toString().contains("veil_oip_answers_total{status=\"404\"} 4\n"), page.toString());
        assertTrue(page.toString().contains("veil_oip_answers_total{status=\"200\"} 6\n"), page.toString());
    }

    @Test
    void jsonAndBinaryInferEqualTheEnginesProductInEveryMode() throws IOException {
        var rnd = new SplittableRandom(3);
        int d = dims.dim();
        var id = new MatrixId(Projection.QKV, 1);
        var direct = new InMemoryChannel(weights, Duration.ofSeconds(10));
        direct.call(new Message.Hello("m"), Message.Welcome.class);
        for (Ring ring : new Ring[] {null, Ring.Z64, Ring.Z32}) {
            Rows x;
            if (ring == null) {
                float[] f = new float[2 * d];
                for (int i = 0; i < f.length; i++) f[i] = (float) rnd.nextDouble(-1, 1);
                x = new Rows.Floats(2, d, f);
            } else {
                long[] v = new long[2 * d];
                for (int i = 0; i < v.length; i++) v[i] = ring.wrap(rnd.nextLong());
                x = new Rows.RingElements(ring, 2, d, v);
            }
            Rows want = direct.call(new Message.Linear(id, x), Message.LinearReply.class).output();
            // over Veil's OIP client (binary tensors both ways)
            try (var oip = OipChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(10), dims)) {
                oip.call(new Message.Hello("m"), Message.Welcome.class);
                Rows got = oip.call(new Message.Linear(id, x), Message.LinearReply.class).output();
                assertEquals(want, same(want, got));
                var setup = oip.call(new Message.Setup(id, x), Message.SetupReply.class);
                assertEquals(ring == null ? 0 : dims.outDim(Projection.QKV), setup.rowScales().length);
            }
            // as JSON, data as a flat array
            var sb = new StringBuilder();
            dev.veil.protocol.oip.Oip.json(x, sb);
            String name = dev.veil.protocol.oip.Oip.name(id, ring);
            var a = http("POST", "/v2/models/" + name + "/infer", Map.of("Content-Type", "application/json"),
                    utf8(jsonInput(dev.veil.protocol.oip.Oip.datatype(ring), 2, d, sb.toString())));
            assertEquals(200, a.status(), a.text());
            var outputs = Json.list(Json.object(Json.parse(a.text()), "reply").get("outputs"), "outputs");
            var output = Json.object(outputs.getFirst(), "output");
            assertEquals(Json.list(Json.parse("[2," + dims.outDim(Projection.QKV) + "]"), "s"), Json.list(output.get("shape"), "shape"));
            Rows json = dev.veil.protocol.oip.Oip.read(ring, 2, dims.outDim(Projection.QKV), Json.flatten(output.get("data")));
            same(want, json);
        }
    }

    private static Rows same(Rows want, Rows got) {
        switch (want) {
            case Rows.Floats f -> assertArrayEquals(f.data(), ((Rows.Floats) got).data());
            case Rows.RingElements e -> assertArrayEquals(e.data(), ((Rows.RingElements) got).data());
        }
        return want;
    }

    @Test
    void malformedRequestsGetAStatusAndAJsonErrorAndTheConnectionGoesOn() throws IOException {
        int d = dims.dim();
        String zeros = "[" + "0,".repeat(d - 1) + "0]";
        Object[][] cases = {
            {"{\"inputs\":[", 400, "malformed JSON"},
            {jsonInput("FP32", 1, d - 1, "[" + "0,".repeat(d - 2) + "0]"), 400, "takes an input of shape [rows, " + d + "]"},
            {jsonInput("FP32", 2, d, zeros), 400, "has " + d + " values, its shape " + 2 * d},
            {jsonInput("INT64", 1, d, zeros), 400, "takes FP32, got INT64"},
            {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1," + d + "],\"data\":" + zeros + "}]}", 400, "no input 'x'"},
            {"[1,2,3]", 400, "must be a JSON object"},
            {"[".repeat(100) + "]".repeat(100), 400, "nested deeper"},
        };
        try (var s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            for (Object[] c : cases) { // all on one keep-alive connection: a refusal does not end it
                send(s.getOutputStream(), "POST", "/v2/models/blk.0.attn_qkv/infer", Map.of(), utf8((String) c[0]));
                var a = read(s.getInputStream());
                assertEquals(c[1], a.status(), a.text());
                assertTrue(a.error().contains((String) c[2]), a.error());
                assertTrue(a.head().contains("Content-Type: application/json"), a.head());
            }
            send(s.getOutputStream(), "POST", "/v2/models/blk.0.attn_qkv/infer", Map.of(), utf8(jsonInput("FP32", 1, d, zeros)));
            assertEquals(200, read(s.getInputStream()).status());
        }
        // binary data that does not add up to the declared shape
        String header = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1," + d
                + "],\"parameters\":{\"binary_data_size\":8}}]}";
        byte[] body = new byte[utf8(header).length + 8];
        System.arraycopy(utf8(header), 0, body, 0, utf8(header).length);
        var a = http("POST", "/v2/models/blk.0.attn_qkv/infer", Map.of("Inference-Header-Content-Length", "" + utf8(header).length), body);
        assertEquals(400, a.status(), a.text());
        assertTrue(a.error().contains("takes " + 4 * d + " bytes of binary data"), a.error());
        assertEquals(411, http("POST", "/v2/models/output/infer", Map.of("Transfer-Encoding", "chunked"), null).status());
        assertEquals(0, server.held(), "nothing is held once answered");
    }

    @Test
    void hugeAnnouncedSizesAreRefusedBeforeAByteOfBodyIsHeld() throws IOException {
        var a = http("POST", "/v2/models/output/infer", Map.of("Content-Length", String.valueOf(1L << 40)), null);
        assertEquals(413, a.status(), a.text());
        assertTrue(a.error().contains("exceeds the limit of " + OipServer.MAX_JSON_BODY + " for an all-JSON request"), a.error());
        a = http("POST", "/v2/models/output/infer", Map.of("Content-Length", String.valueOf(256L << 20 << 4),
                "Inference-Header-Content-Length", "10"), null);
        assertEquals(413, a.status(), a.text());
        a = http("POST", "/v2/models/output/infer", Map.of("Content-Length", "100", "Inference-Header-Content-Length", "" + (1L << 33)),
                null);
        assertEquals(400, a.status(), a.text());
        assertTrue(a.error().contains("Inference-Header-Content-Length must be within the body"), a.error());
        // a head over 16 KiB
        a = http("GET", "/v2/health/live", Map.of("X-Pad", "a".repeat(20_000)), null);
        assertEquals(431, a.status());
        assertEquals(0, server.held());
    }

    @Test
    void aPeerThatAnnouncesMuchAndSendsLittleHoldsLittleAndIsDroppedAtTheDeadlineWhileOthersAreServed() throws Exception {
        int most = limits.maxPayload();
        try (var slow = new Socket("127.0.0.1", server.port()); var silent = new Socket("127.0.0.1", server.port());
             var dripping = new Socket("127.0.0.1", server.port())) {
            slow.setSoTimeout(10_000);
            // announces the largest body, sends 1 KiB of it, then nothing
            send(slow.getOutputStream(), "POST", "/v2/models/output/infer", Map.of("Content-Length", "" + most,
                    "Inference-Header-Content-Length", "100"), new byte[1024]);
            // half a request line
            dripping.getOutputStream().write(utf8("GET /v2/hea"));
            Eventually.until("the slow peer's first bytes are held", () -> server.held() > 0);
            assertTrue(server.held() <= 1 << 16, "held " + server.held() + " bytes, not the " + most + " announced");
            // meanwhile another client is served at once
            assertEquals(200, http("GET", "/v2/health/ready", Map.of(), null).status());
            try (var oip = OipChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(10), dims)) {
                int d = dims.dim();
                var call = new Message.Linear(new MatrixId(Projection.LM_HEAD, 0), new Rows.Floats(1, d, new float[d]));
                oip.call(call, Message.LinearReply.class);
            }
            assertTrue(server.held() > 0, "served while the slow peer's bytes are still held: before its deadline dropped it");
            // each silent, slow or dripping peer gets its 408 (best effort) and is closed at the deadline
            var a = read(slow.getInputStream());
            assertEquals(408, a.status(), a.text());
            silent.setSoTimeout(10_000);
            assertEquals(408, read(silent.getInputStream()).status());
            dripping.setSoTimeout(10_000);
            assertEquals(408, read(dripping.getInputStream()).status());
            assertEquals(-1, slow.getInputStream().read());
        }
        Eventually.until("every byte given back", () -> server.held() == 0);
        Eventually.until("the connections closed", () -> server.connections() == 0);
    }

    @Test
    void aPeerThatDoesNotReadItsReplyIsDroppedAtTheWriteDeadline() throws Exception {
        try (var w = new WeightsServer("m", model.config(), model.linear(), null, null, limits.maxPayload());
             var s = OipServer.start(w, "127.0.0.1", 0, null, limits.withWriteDeadline(Duration.ofMillis(500)), line -> {});
             var peer = new Socket("127.0.0.1", s.port())) {
            peer.setReceiveBufferSize(4096);
            int d = dims.dim(), rows = 4096;
            String header = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[" + rows + "," + d
                    + "],\"parameters\":{\"binary_data_size\":" + 4L * rows * d + "}}],\"parameters\":{\"binary_data_output\":true}}";
            byte[] h = utf8(header), body = new byte[h.length + 4 * rows * d];
            System.arraycopy(h, 0, body, 0, h.length);
            var out = peer.getOutputStream();
            for (int i = 0; i < 20; i++) { // requests, never a reply read: the first reply fills the socket buffers
                try {
                    send(out, "POST", "/v2/models/output/infer", Map.of("Inference-Header-Content-Length", "" + h.length), body);
                } catch (IOException e) {
                    break; // dropped
                }
                if (s.connections() == 0) break;
            }
            Eventually.until("the non-reading peer dropped", () -> s.connections() == 0);
            Eventually.until("its bytes given back", () -> s.held() == 0);
        }
    }

    @Test
    void connectionsBeyondTheLimitAreRefusedWithA503() throws Exception {
        var open = new java.util.ArrayList<Socket>();
        try {
            for (int i = 0; i < limits.maxConnections(); i++) open.add(new Socket("127.0.0.1", server.port()));
            Eventually.until("all connections accepted", () -> server.connections() == limits.maxConnections());
            var a = http("GET", "/v2/health/live", Map.of(), null);
            assertEquals(503, a.status());
            assertTrue(a.error().contains("connections open"), a.error());
        } finally {
            for (Socket s : open) s.close();
        }
    }

    @Test
    void theClientRefusesWhatTheProtocolCannotCarry() {
        try (var oip = OipChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(10), dims)) {
            var decode = new Message.Decode(1, 0, new Rows.Floats(1, 1, new float[1]));
            var e = assertThrows(ProtocolException.class, () -> oip.exchange(decode));
            assertTrue(e.getMessage().contains("has no form in the Open Inference Protocol"), e.getMessage());
            e = assertThrows(ProtocolException.class, () -> oip.exchange(new Message.Challenge()));
            assertTrue(e.getMessage().startsWith("attestation has no form"), e.getMessage());
            // a model the server lacks: named, with the server's words
            var other = new ModelDims(dims.dim(), dims.hiddenDim(), dims.layers() + 1, dims.heads(), dims.kvHeads(), dims.headDim(),
                    dims.vocabSize());
            try (var wrong = OipChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(10), other)) {
                int d = dims.dim();
                var call = new Message.Linear(new MatrixId(Projection.QKV, dims.layers()), new Rows.Floats(1, d, new float[d]));
                e = assertThrows(ProtocolException.class, () -> wrong.exchange(call));
                assertEquals(ErrorCode.UNKNOWN_MODEL, e.code());
                assertTrue(e.getMessage().contains("does not serve model 'blk.2.attn_qkv' (HTTP 404: unknown model"), e.getMessage());
            }
        }
    }
}
