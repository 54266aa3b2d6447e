package dev.veil.cli;

import com.google.protobuf.UnsafeByteOperations;
import dev.veil.grpc.v2.GRPCInferenceServiceGrpc;
import dev.veil.grpc.v2.ModelInferRequest;
import dev.veil.grpc.v2.ModelMetadataRequest;
import dev.veil.grpc.v2.ModelMetadataResponse;
import dev.veil.grpc.v2.ServerReadyRequest;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.oip.Json;
import dev.veil.protocol.oip.Oip;
import dev.veil.protocol.transport.Http1;
import dev.veil.protocol.transport.OipChannel;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The OIP channel's exchanges over gRPC (grpc-java, the generated stub, plaintext): the node's REST requests as the
 * protocol's gRPC calls, and their answers back in the REST form the channel reads, so that {@code veil bench oip}
 * runs the same node code over the gRPC port in the same run. Tools only: gRPC never enters the node's jar.
 */
final class GrpcOipTransport implements OipChannel.Transport {
    private final ManagedChannel channel;
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

    GrpcOipTransport(String host, int port) {
        // replies complete on Netty's event loop, not a further executor: one thread hop fewer a call, as JdkOipTransport does
        this.channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().maxInboundMessageSize(OipChannel.MAX_BODY + (64 << 10))
                .directExecutor().build();
        this.stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    }

    @Override
    public Http1.Reply exchange(String path, int headerLength, byte[] body, long most, Duration timeout) {
        var s = stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
        try {
            if (body == null && path.equals("/v2/health/ready")) {
                return json(200, "{\"ready\":" + s.serverReady(ServerReadyRequest.getDefaultInstance()).getReady() + "}");
            }
            String name = path.substring("/v2/models/".length());
            if (body == null) return json(200, metadata(s.modelMetadata(ModelMetadataRequest.newBuilder().setName(name).build())));
            return infer(s, name.substring(0, name.length() - "/infer".length()), headerLength, body);
        } catch (StatusRuntimeException e) {
            int status = switch (e.getStatus().getCode()) {
                case NOT_FOUND -> 404;
                case INVALID_ARGUMENT -> 400;
                case RESOURCE_EXHAUSTED -> 413;
                case UNAVAILABLE -> throw new ProtocolException(ErrorCode.CLOSED, "OIP gRPC server: " + e.getMessage());
                case DEADLINE_EXCEEDED -> throw new ProtocolException(ErrorCode.TIMEOUT, "OIP gRPC server: " + e.getMessage());
                default -> 500;
            };
            return json(status, "{\"error\":" + Json.quote(String.valueOf(e.getStatus().getDescription())) + "}");
        }
    }

    private static Http1.Reply infer(GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub s, String model, int headerLength,
            byte[] body) {
        var head = Json.object(Json.parse(body, 0, headerLength), "the request");
        var in = Json.object(Json.list(head.get("inputs"), "inputs").getFirst(), "an input");
        var r = ModelInferRequest.newBuilder().setModelName(model);
        var t = r.addInputsBuilder().setName(Json.string(in.get("name"), "name")).setDatatype(Json.string(in.get("datatype"), "datatype"));
        for (Object d : Json.list(in.get("shape"), "shape")) t.addShape(Json.integer(d, "a dimension"));
        for (Object o : Json.list(head.get("outputs"), "outputs")) r.addOutputsBuilder().setName(Json.string(Json.object(o, "an output")
                .get("name"), "name"));
        r.addRawInputContents(UnsafeByteOperations.unsafeWrap(body, headerLength, body.length - headerLength));
        var reply = s.modelInfer(r.build());
        var json = new StringBuilder(256).append("{\"model_name\":").append(Json.quote(reply.getModelName())).append(",\"outputs\":[");
        var data = new ByteArrayOutputStream();
        for (int i = 0; i < reply.getOutputsCount(); i++) {
            var o = reply.getOutputs(i);
            var raw = reply.getRawOutputContents(i);
            json.append(i > 0 ? "," : "").append("{\"name\":").append(Json.quote(o.getName())).append(",\"datatype\":")
                    .append(Json.quote(o.getDatatype())).append(",\"shape\":").append(o.getShapeList()).append(",\"parameters\":{");
            var nanos = o.getParametersMap().get(Oip.SERVER_NANOS);
            if (nanos != null) json.append(Json.quote(Oip.SERVER_NANOS)).append(':').append(nanos.getInt64Param()).append(',');
            json.append("\"binary_data_size\":").append(raw.size()).append("}}");
            data.writeBytes(raw.toByteArray());
        }
        byte[] h = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        var all = new ByteArrayOutputStream(h.length + data.size());
        all.writeBytes(h);
        all.writeBytes(data.toByteArray());
        return new Http1.Reply(200, Map.of(Oip.HEADER_LENGTH.toLowerCase(java.util.Locale.ROOT), String.valueOf(h.length)),
                all.toByteArray(), true, r.build().getSerializedSize(), reply.getSerializedSize());
    }

    private static String metadata(ModelMetadataResponse m) {
        var out = new StringBuilder("{\"name\":").append(Json.quote(m.getName())).append(",\"inputs\":[");
        tensors(m.getInputsList(), out);
        out.append("],\"outputs\":[");
        tensors(m.getOutputsList(), out);
        return out.append("]}").toString();
    }

    private static void tensors(List<ModelMetadataResponse.TensorMetadata> ts, StringBuilder out) {
        for (int i = 0; i < ts.size(); i++) {
            var t = ts.get(i);
            out.append(i > 0 ? "," : "").append("{\"name\":").append(Json.quote(t.getName())).append(",\"datatype\":")
                    .append(Json.quote(t.getDatatype())).append(",\"shape\":").append(t.getShapeList()).append('}');
        }
    }

    private static Http1.Reply json(int status, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return new Http1.Reply(status, Map.of(), b, true, 0, b.length);
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
