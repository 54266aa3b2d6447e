package dev.veil.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.veil.engine.Eventually;
import dev.veil.engine.InMemoryModels;
import dev.veil.engine.model.Model;
import dev.veil.grpc.v2.GRPCInferenceServiceGrpc;
import dev.veil.grpc.v2.InferTensorContents;
import dev.veil.grpc.v2.ModelInferRequest;
import dev.veil.grpc.v2.ModelInferResponse;
import dev.veil.grpc.v2.ModelMetadataRequest;
import dev.veil.grpc.v2.ModelReadyRequest;
import dev.veil.grpc.v2.ServerLiveRequest;
import dev.veil.grpc.v2.ServerMetadataRequest;
import dev.veil.grpc.v2.ServerReadyRequest;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transport.ByteBudget;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.weights.OipServer;
import dev.veil.weights.WeightsServer;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The weights server's OIP gRPC port against a real grpc-java client (the generated stub) over real sockets: every RPC,
 * raw and typed contents bit-identical to the REST port's answer, every malformed request refused with gRPC's status,
 * an oversized message refused, a peer that does not read holding only its own share of the one budget the REST port
 * shares, many concurrent calls on a bounded pool, and the connection limit.
 */
@Timeout(120)
class OipGrpcServerTest {
    static final int MAX_PAYLOAD = 1 << 20;
    final Model model = InMemoryModels.create(InMemoryModels.llama(), 2);
    final ModelDims dims = ModelDims.of(model.config());
    final ServerLimits limits = ServerLimits.defaults().withMaxPayload(MAX_PAYLOAD).withMemory(2L * MAX_PAYLOAD, 4L * MAX_PAYLOAD)
            .withGreetingDeadline(Duration.ofSeconds(5)).withTick(Duration.ofMillis(50)).withMaxConnections(4);
    final ByteBudget budget = ByteBudget.of(limits, 2);
    final List<ManagedChannel> channels = new ArrayList<>();
    WeightsServer weights;
    OipGrpcServer grpc;
    OipServer rest;

    @BeforeEach
    void start() throws IOException {
        weights = new WeightsServer("m", model.config(), model.linear(), null, null, limits.maxPayload());
        grpc = OipGrpcServer.start(weights, "127.0.0.1", 0, null, limits, budget, line -> {});
        rest = OipServer.start(weights, "127.0.0.1", 0, null, limits, budget, line -> {});
    }

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        grpc.close();
        rest.close();
        weights.close();
    }

    ManagedChannel channel(int flowWindow) {
        var c = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().maxInboundMessageSize(4 * MAX_PAYLOAD)
                .flowControlWindow(flowWindow).build();
        channels.add(c);
        return c;
    }

    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub() {
        return GRPCInferenceServiceGrpc.newBlockingStub(channel(1 << 20)).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    static ModelInferRequest.Builder request(String model, String datatype, long rows, long cols) {
        var r = ModelInferRequest.newBuilder().setModelName(model);
        r.addInputsBuilder().setName("input").setDatatype(datatype).addShape(rows).addShape(cols);
        return r;
    }

    /** Little-endian values of {@code datatype}: floats in [-1, 1), or ring elements over all their bits. */
    static byte[] randomTensor(String datatype, int n, long seed) {
        var rnd = new SplittableRandom(seed);
        var b = ByteBuffer.allocate(n * (datatype.equals("INT64") ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (datatype) {
                case "FP32" -> b.putFloat((float) (rnd.nextDouble() * 2 - 1));
                case "INT64" -> b.putLong(rnd.nextLong());
                default -> b.putInt(rnd.nextInt());
            }
        }
        return b.array();
    }

    static InferTensorContents typed(String datatype, byte[] raw) {
        var c = InferTensorContents.newBuilder();
        var b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            switch (datatype) {
                case "FP32" -> c.addFp32Contents(b.getFloat());
                case "INT64" -> c.addInt64Contents(b.getLong());
                default -> c.addIntContents(b.getInt());
            }
        }
        return c.build();
    }

    static byte[] bytes(String datatype, InferTensorContents c) {
        int n = datatype.equals("FP32") ? c.getFp32ContentsCount() : datatype.equals("INT64") ? c.getInt64ContentsCount()
                : c.getIntContentsCount();
        var b = ByteBuffer.allocate(n * (datatype.equals("INT64") ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (datatype) {
                case "FP32" -> b.putFloat(c.getFp32Contents(i));
                case "INT64" -> b.putLong(c.getInt64Contents(i));
                default -> b.putInt(c.getIntContents(i));
            }
        }
        return b.array();
    }

    /** The REST port's binary answer to the same input: the bytes after the JSON header (output, then row_scales for a ring). */
    byte[] restAnswer(String model, String datatype, int rows, int cols, byte[] data) throws IOException {
        String outputs = datatype.equals("FP32") ? "{\"name\":\"output\"}" : "{\"name\":\"output\"},{\"name\":\"row_scales\"}";
        byte[] header = ("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"" + datatype + "\",\"shape\":[" + rows + "," + cols
                + "],\"parameters\":{\"binary_data_size\":" + data.length + "}}],\"outputs\":[" + outputs
                + "],\"parameters\":{\"binary_data_output\":true}}").getBytes(StandardCharsets.UTF_8);
        try (var s = new Socket("127.0.0.1", rest.port())) {
            s.setSoTimeout(30_000);
            var out = s.getOutputStream();
            out.write(("POST /v2/models/" + model + "/infer HTTP/1.1\r\nHost: x\r\nInference-Header-Content-Length: " + header.length
                    + "\r\nContent-Length: " + (header.length + data.length) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(header);
            out.write(data);
            out.flush();
            InputStream in = s.getInputStream();
            var head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) head.write(in.read());
            int length = 0, headerLength = 0;
            for (String line : head.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
                String l = line.toLowerCase();
                if (l.startsWith("content-length:")) length = Integer.parseInt(l.substring(15).strip());
                if (l.startsWith("inference-header-content-length:")) headerLength = Integer.parseInt(l.substring(32).strip());
            }
            assertTrue(head.toString(StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"), head.toString(StandardCharsets.ISO_8859_1));
            byte[] body = in.readNBytes(length);
            return Arrays.copyOfRange(body, headerLength, body.length);
        }
    }

    static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    @Test
    void everyMetadataRpcAnswersAsTheProtocolSays() {
        var stub = stub();
        assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        assertEquals("veil", stub.serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName());
        assertTrue(stub.modelReady(ModelReadyRequest.newBuilder().setName("blk.1.ffn_down.z64").setVersion("1").build()).getReady());
        var meta = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("blk.0.attn_qkv.z32").build());
        assertEquals("INT32", meta.getInputs(0).getDatatype());
        assertEquals(List.of(-1L, 48L), meta.getInputs(0).getShapeList());
        assertEquals(List.of(-1L, (long) dims.outDim(dev.veil.engine.inference.Projection.QKV)), meta.getOutputs(0).getShapeList());
        assertEquals("row_scales", meta.getOutputs(1).getName());
        assertEquals(1, stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("output").build()).getOutputsCount());
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub.modelReady(ModelReadyRequest.newBuilder().setName("blk.9.ffn_down").build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("nope").build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub.modelReady(ModelReadyRequest.newBuilder().setName("output").setVersion("2")
                .build())));
    }

    @Test
    void rawAndTypedContentsAreBitIdenticalToTheRestAnswer() throws IOException {
        var stub = stub();
        long seed = 1;
        for (String[] m : new String[][] {{"blk.0.attn_qkv", "FP32"}, {"blk.1.ffn_down.z64", "INT64"}, {"output.z32", "INT32"},
                {"blk.1.ffn_gate_up.z64", "INT64"}}) {
            String name = m[0], type = m[1];
            int cols = name.contains("ffn_down") ? model.config().hiddenDim() : model.config().dim(), rows = 3;
            byte[] data = randomTensor(type, rows * cols, seed++);
            byte[] expected = restAnswer(name, type, rows, cols, data);
            ModelInferResponse raw = stub.modelInfer(request(name, type, rows, cols).addRawInputContents(ByteString.copyFrom(data))
                    .setId("call-" + seed).build());
            assertEquals(name, raw.getModelName());
            assertEquals("call-" + seed, raw.getId());
            var rawBytes = new ByteArrayOutputStream();
            for (ByteString b : raw.getRawOutputContentsList()) rawBytes.writeBytes(b.toByteArray());
            assertArrayEquals(expected, rawBytes.toByteArray(), name + " raw");

            var r = request(name, type, rows, cols);
            r.getInputsBuilder(0).setContents(typed(type, data));
            ModelInferResponse typed = stub.modelInfer(r.build());
            assertEquals(0, typed.getRawOutputContentsCount());
            var typedBytes = new ByteArrayOutputStream();
            typedBytes.writeBytes(bytes(type, typed.getOutputs(0).getContents()));
            if (!type.equals("FP32")) typedBytes.writeBytes(bytes("FP32", typed.getOutputs(1).getContents()));
            assertArrayEquals(expected, typedBytes.toByteArray(), name + " typed");
            assertEquals(List.of((long) rows, (long) raw.getRawOutputContents(0).size() / rows / (type.equals("INT64") ? 8 : 4)),
                    raw.getOutputs(0).getShapeList());
        }
        Eventually.until("every call's bytes given back", () -> grpc.held() == 0 && budget.used() == 0);
    }

    @Test
    void malformedRequestsGetTheProtocolsStatusAndTheServerGoesOn() {
        var stub = stub();
        byte[] ok = randomTensor("INT64", 2 * 48, 7);
        var raw = ByteString.copyFrom(ok);
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub.modelInfer(request("blk.7.attn_qkv.z64", "INT64", 2, 48)
                .addRawInputContents(raw).build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> stub.modelInfer(request("blk.0.attn_qkv.z64", "INT64", 2, 48)
                .setModelVersion("3").addRawInputContents(raw).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("blk.0.attn_qkv.z64", "INT32", 2, 48)
                .addRawInputContents(raw).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("blk.0.attn_qkv.z64", "INT64", 2, 47)
                .addRawInputContents(raw).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("blk.0.attn_qkv.z64", "INT64", 3, 48)
                .addRawInputContents(raw).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("blk.0.attn_qkv.z64", "INT64", -1, 48)
                .addRawInputContents(raw).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("blk.0.attn_qkv.z64", "INT64", 2, 48).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(request("blk.0.attn_qkv.z64", "INT64", 2, 48)
                .addRawInputContents(raw).addRawInputContents(raw).build())));
        var both = request("blk.0.attn_qkv.z64", "INT64", 2, 48).addRawInputContents(raw);
        both.getInputsBuilder(0).setContents(typed("INT64", ok));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(both.build())));
        var wrongField = request("blk.0.attn_qkv.z64", "INT64", 2, 48);
        wrongField.getInputsBuilder(0).setContents(typed("INT32", randomTensor("INT32", 96, 1)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(wrongField.build())));
        var twoInputs = request("blk.0.attn_qkv.z64", "INT64", 2, 48).addRawInputContents(raw);
        twoInputs.addInputsBuilder().setName("input").setDatatype("INT64").addShape(2).addShape(48);
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(twoInputs.build())));
        var badOutput = request("blk.0.attn_qkv", "FP32", 1, 48).addRawInputContents(ByteString.copyFrom(randomTensor("FP32", 48, 2)));
        badOutput.addOutputsBuilder().setName("row_scales");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(badOutput.build())));
        var renamed = request("blk.0.attn_qkv.z64", "INT64", 2, 48).addRawInputContents(raw);
        renamed.getInputsBuilder(0).setName("x");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> stub.modelInfer(renamed.build())));
        // and it still serves
        assertEquals(2, stub.modelInfer(request("blk.0.attn_qkv.z64", "INT64", 2, 48).addRawInputContents(raw).build())
                .getOutputs(0).getShape(0));
        Eventually.until("every call's bytes given back", () -> grpc.held() == 0 && budget.used() == 0);
    }

    @Test
    void anOversizedMessageIsRefusedAndSoIsAnOversizedReply() {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel(1 << 20)).withMaxOutboundMessageSize(8 * MAX_PAYLOAD);
        int rows = OipGrpcServer.maxMessage(limits) / (48 * 8) + 1; // the message alone is over the limit
        var big = request("output.z64", "INT64", rows, 48).addRawInputContents(ByteString.copyFrom(new byte[rows * 48 * 8])).build();
        var e = assertThrows(StatusRuntimeException.class, () -> stub.modelInfer(big));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getMessage());
        assertTrue(e.getStatus().getDescription().contains("exceeds maximum size " + OipGrpcServer.maxMessage(limits)), e.getMessage());
        // a message within the limit whose reply is not: 500 rows of the LM head's 300 outputs, 8 bytes each
        var e2 = assertThrows(StatusRuntimeException.class, () -> stub.modelInfer(request("output.z64", "INT64", 500, 48)
                .addRawInputContents(ByteString.copyFrom(new byte[500 * 48 * 8])).build()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e2.getStatus().getCode());
        assertTrue(e2.getStatus().getDescription().contains("send fewer rows"), e2.getMessage());
        Eventually.until("every call's bytes given back", () -> grpc.held() == 0 && budget.used() == 0);
        assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    }

    /** A call whose reply the client never reads (it asks for no message): the server holds its bytes, serves others. */
    @Test
    void aClientThatNeverReadsHoldsOnlyItsShareOfTheOneBudget() throws Exception {
        var lazy = channel(64 << 10);
        int rows = 300; // 300 x 300 x 8 = 720 KB of reply, far past the client's 64 KiB window
        var request = request("output.z64", "INT64", rows, 48).addRawInputContents(ByteString.copyFrom(randomTensor("INT64", rows * 48, 3)))
                .build();
        ClientCall<ModelInferRequest, ModelInferResponse> call = lazy.newCall(GRPCInferenceServiceGrpc.getModelInferMethod(),
                CallOptions.DEFAULT);
        call.start(new ClientCall.Listener<>() {}, new Metadata());
        call.sendMessage(request);
        call.halfClose(); // and never call.request(1): its window is never given back
        Eventually.until("the server holds the unread reply", () -> grpc.held() > rows * 300 * 8);
        assertEquals(grpc.held(), budget.used(), "the gRPC port's bytes are the budget's");
        // others are served meanwhile, on both ports
        var stub = stub();
        for (int i = 0; i < 5; i++) {
            assertEquals(1, stub.modelInfer(request("blk.0.attn_output.z32", "INT32", 1, 48).addRawInputContents(ByteString.copyFrom(
                    randomTensor("INT32", 48, i))).build()).getOutputs(0).getShape(0));
        }
        restAnswer("blk.0.attn_output.z32", "INT32", 1, 48, randomTensor("INT32", 48, 9));
        assertTrue(grpc.held() > rows * 300 * 8, "still held while unread");
        call.cancel("done", null);
        Eventually.until("the cancelled call's bytes are given back", () -> grpc.held() == 0 && budget.used() == 0);
    }

    /** What one port holds, the other cannot: the REST port refuses (503) while the budget is spent through the gRPC port. */
    @Test
    void theRestAndGrpcPortsShareOneBudget() throws Exception {
        // Spend the shared budget: unread gRPC replies on separate connections, each within its connection's share.
        int rows = 400; // a 960 KB reply each, with its request and bounds ~2 MB held per call
        var calls = new ArrayList<ClientCall<ModelInferRequest, ModelInferResponse>>();
        for (int i = 0; i < 2; i++) {
            var call = channel(64 << 10).newCall(GRPCInferenceServiceGrpc.getModelInferMethod(), CallOptions.DEFAULT);
            call.start(new ClientCall.Listener<>() {}, new Metadata());
            call.sendMessage(request("output.z64", "INT64", rows, 48).addRawInputContents(ByteString.copyFrom(new byte[rows * 48 * 8]))
                    .build());
            call.halfClose();
            calls.add(call);
        }
        Eventually.until("two unread replies held", () -> grpc.held() > 2L * rows * 300 * 8);
        long spent = budget.used();
        assertTrue(spent > limits.totalBytes() / 2, "held " + spent);
        // a REST call of the same size no longer fits beside them
        byte[] data = new byte[rows * 48 * 8];
        var e = assertThrows(AssertionError.class, () -> restAnswer("output.z64", "INT64", rows, 48, data));
        assertTrue(e.getMessage().contains("503"), e.getMessage());
        calls.forEach(c -> c.cancel("done", null));
        Eventually.until("given back", () -> budget.used() == 0);
        assertEquals(rows * 300 * 8 + 300 * 4, restAnswer("output.z64", "INT64", rows, 48, data).length);
    }

    @Test
    void manyConcurrentCallsAreAllAnsweredOnABoundedPool() throws Exception {
        var stubs = new ArrayList<GRPCInferenceServiceGrpc.GRPCInferenceServiceStub>();
        for (int i = 0; i < 3; i++) stubs.add(GRPCInferenceServiceGrpc.newStub(channel(1 << 20)));
        byte[] data = randomTensor("INT64", 48, 5);
        var one = request("blk.0.attn_qkv.z64", "INT64", 1, 48).addRawInputContents(ByteString.copyFrom(data)).build();
        var single = stub().modelInfer(one);
        var futures = new ArrayList<CompletableFuture<ModelInferResponse>>();
        for (int i = 0; i < 300; i++) { // more than a connection's MAX_CALLS on each of three connections
            var f = new CompletableFuture<ModelInferResponse>();
            stubs.get(i % 3).modelInfer(one, new StreamObserver<>() {
                        @Override
                        public void onNext(ModelInferResponse r) {
                            f.complete(r);
                        }

                        @Override
                        public void onError(Throwable t) {
                            f.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {}
                    });
            futures.add(f);
        }
        for (var f : futures) assertEquals(single.getRawOutputContents(0), f.get(60, TimeUnit.SECONDS).getRawOutputContents(0));
        long poolThreads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("veil-oip-grpc-")).count();
        assertTrue(poolThreads <= Math.max(2, Runtime.getRuntime().availableProcessors()), poolThreads + " threads");
        Eventually.until("all given back", () -> grpc.held() == 0);
    }

    /**
     * Bytes that are not HTTP/2, and a peer that says nothing: each is dropped, the silent one at the greeting deadline
     * (keepalive pings, every write deadline, would drop it only after ten minutes here: the read would time out first).
     */
    @Test
    void aPeerThatSpeaksNoHttp2OrNothingIsDropped() throws Exception {
        var strict = limits.withGreetingDeadline(Duration.ofSeconds(2)).withWriteDeadline(Duration.ofMinutes(10));
        try (var server = OipGrpcServer.start(weights, "127.0.0.1", 0, null, strict, budget, line -> {});
             var garbage = new Socket("127.0.0.1", server.port()); var silent = new Socket("127.0.0.1", server.port())) {
            garbage.setSoTimeout(30_000);
            silent.setSoTimeout(30_000);
            garbage.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n\0\0\0\0\0\0\0\0".getBytes(StandardCharsets.ISO_8859_1));
            garbage.getOutputStream().flush();
            garbage.getInputStream().readAllBytes(); // whatever it answers, it closes
            silent.getInputStream().readAllBytes(); // the server's SETTINGS, then the close at the deadline
            Eventually.until("both are forgotten", () -> server.connections() == 0);
        }
        assertTrue(stub().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    }

    @Test
    void connectionsPastTheLimitAreRefusedUnavailable() {
        for (int i = 0; i < limits.maxConnections(); i++) assertTrue(stub().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        Eventually.until("the connections are counted", () -> grpc.connections() == limits.maxConnections());
        var e = assertThrows(StatusRuntimeException.class, () -> stub().serverLive(ServerLiveRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("connections open"), e.getMessage());
    }
}
