package dev.veil.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.veil.grpc.v2.GRPCInferenceServiceGrpc;
import dev.veil.grpc.v2.InferParameter;
import dev.veil.grpc.v2.InferTensorContents;
import dev.veil.grpc.v2.ModelInferRequest;
import dev.veil.grpc.v2.ModelInferResponse;
import dev.veil.grpc.v2.ModelMetadataRequest;
import dev.veil.grpc.v2.ModelMetadataResponse;
import dev.veil.grpc.v2.ModelReadyRequest;
import dev.veil.grpc.v2.ModelReadyResponse;
import dev.veil.grpc.v2.ServerLiveRequest;
import dev.veil.grpc.v2.ServerLiveResponse;
import dev.veil.grpc.v2.ServerMetadataRequest;
import dev.veil.grpc.v2.ServerMetadataResponse;
import dev.veil.grpc.v2.ServerReadyRequest;
import dev.veil.grpc.v2.ServerReadyResponse;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.oip.Oip;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * {@code inference.GRPCInferenceService} over a {@link dev.veil.weights.WeightsServer}: the REST port's models, names,
 * datatypes and checks (docs/oip.md), each refusal as gRPC's status (INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED,
 * UNAVAILABLE) with one line. Input as {@code raw_input_contents} (little-endian, row-major) or as the datatype's typed
 * contents; the reply in the same form (raw in {@code raw_output_contents}, as Triton answers).
 */
final class OipGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    private static final String BUSY = "the weights server is at its memory bound; retry later";

    private final OipGrpcServer server;
    private final ModelDims dims;

    OipGrpcService(OipGrpcServer server) {
        this.server = server;
        this.dims = server.weights.shape();
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
        reply(out, ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
        reply(out, ServerReadyResponse.newBuilder().setReady(true).build());
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
        reply(out, ServerMetadataResponse.newBuilder().setName("veil").setVersion("0.1.0").build());
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
        try {
            model(request.getName(), request.getVersion());
            reply(out, ModelReadyResponse.newBuilder().setReady(true).build());
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        try {
            var m = model(request.getName(), request.getVersion());
            var p = m.matrix().projection();
            var b = ModelMetadataResponse.newBuilder().setName(m.name()).addVersions("1").setPlatform("veil");
            b.addInputsBuilder().setName(Oip.INPUT).setDatatype(m.datatype()).addShape(-1).addShape(dims.inDim(p));
            b.addOutputsBuilder().setName(Oip.OUTPUT).setDatatype(m.datatype()).addShape(-1).addShape(dims.outDim(p));
            if (m.ring() != null) b.addOutputsBuilder().setName(Oip.ROW_SCALES).setDatatype("FP32").addShape(dims.outDim(p));
            reply(out, b.build());
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        try {
            infer(request, out);
        } catch (StatusRuntimeException e) {
            out.onError(e);
        } catch (ProtocolException | IllegalArgumentException | ArithmeticException e) {
            out.onError(status(e).asRuntimeException());
        }
    }

    private void infer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        var call = OipGrpcServer.CALL.get();
        long size = request.getSerializedSize();
        server.bytesIn.add(size);
        if (!call.hold(size)) throw Status.UNAVAILABLE.withDescription(BUSY).asRuntimeException();
        var model = model(request.getModelName(), request.getModelVersion());
        var ring = model.ring();
        int dIn = dims.inDim(model.matrix().projection()), dOut = dims.outDim(model.matrix().projection());
        if (request.getInputsCount() != 1) throw invalid("model '" + model.name() + "' takes one input, got " + request.getInputsCount());
        var t = request.getInputs(0);
        if (!t.getName().equals(Oip.INPUT)) throw invalid("model '" + model.name() + "' has no input '" + t.getName() + "'");
        if (!t.getDatatype().equals(model.datatype())) {
            throw invalid("model '" + model.name() + "' takes " + model.datatype() + ", got " + t.getDatatype());
        }
        long rowsL = t.getShapeCount() == 2 ? t.getShape(0) : -1;
        if (t.getShapeCount() != 2 || t.getShape(1) != dIn || rowsL < 0 || rowsL * dIn > Integer.MAX_VALUE / 8) {
            throw invalid("model '" + model.name() + "' takes an input of shape [rows, " + dIn + "], got " + t.getShapeList());
        }
        int rows = (int) rowsL, n = rows * dIn;
        // the decoded rows are held beside the request before they are allocated (ring elements as longs)
        if (!call.hold(64L + (long) n * (ring == null ? Float.BYTES : Long.BYTES))) {
            throw Status.UNAVAILABLE.withDescription(BUSY).asRuntimeException();
        }
        boolean raw = request.getRawInputContentsCount() > 0;
        Rows input = raw ? rawInput(request, model, rows, dIn) : typedInput(t.hasContents() ? t.getContents() : null, model, rows, dIn);
        List<String> outputs = outputs(request, model);
        var linear = new Message.Linear(model.matrix(), input);
        long bound = server.weights.replyBound(linear);
        if (bound > server.limits.maxPayload()) {
            throw Status.RESOURCE_EXHAUSTED.withDescription("the reply would take " + bound + " bytes, over the limit of "
                    + server.limits.maxPayload() + "; send fewer rows per call").asRuntimeException();
        }
        // the reply's values, then its message (typed contents: a varint takes up to 10 bytes)
        long replyBytes = (long) rows * dOut * (raw ? Oip.elementBytes(ring) : 10) + 10L * dOut + 1024;
        if (!call.hold(Math.max(bound, server.weights.heldBound(linear)) + replyBytes)) {
            throw Status.UNAVAILABLE.withDescription(BUSY).asRuntimeException();
        }
        // a small reply is answered on the thread that completes the call (one thread hop fewer); a large one on the pool, so
        // that its serialization does not hold up the batcher's next multiply
        java.util.concurrent.Executor answerOn = replyBytes <= 64 << 10 ? Runnable::run : server.threads;
        server.weights.handle(call.conn.peer, linear).whenCompleteAsync((r, e) -> {
            if (e != null) {
                out.onError(status(e).asRuntimeException());
                return;
            }
            try {
                var reply = inferReply(request, model, (Message.LinearReply) r, outputs, raw);
                server.bytesOut.add(reply.getSerializedSize());
                reply(out, reply);
            } catch (RuntimeException x) {
                out.onError(status(x).asRuntimeException());
            }
        }, answerOn);
    }

    private static Rows rawInput(ModelInferRequest request, Oip.Model model, int rows, int dIn) {
        if (request.getRawInputContentsCount() != 1) {
            throw invalid("raw_input_contents holds " + request.getRawInputContentsCount() + " tensors for one input");
        }
        if (request.getInputs(0).hasContents()) throw invalid("the input has both contents and raw_input_contents");
        ByteString raw = request.getRawInputContents(0);
        long size = (long) rows * dIn * Oip.elementBytes(model.ring());
        if (raw.size() != size) {
            throw invalid("input of shape [" + rows + ", " + dIn + "] in " + model.datatype() + " takes " + size
                    + " bytes of raw_input_contents, got " + raw.size());
        }
        return Oip.read(model.ring(), rows, dIn, raw.toByteArray(), 0);
    }

    private static Rows typedInput(InferTensorContents c, Oip.Model model, int rows, int dIn) {
        if (c == null) throw invalid("the input has no data: give raw_input_contents or contents");
        int n = rows * dIn;
        int given = switch (model.datatype()) {
            case "FP32" -> c.getFp32ContentsCount();
            case "INT64" -> c.getInt64ContentsCount();
            default -> c.getIntContentsCount();
        };
        int all = c.getBoolContentsCount() + c.getIntContentsCount() + c.getInt64ContentsCount() + c.getUintContentsCount()
                + c.getUint64ContentsCount() + c.getFp32ContentsCount() + c.getFp64ContentsCount() + c.getBytesContentsCount();
        if (all != given) throw invalid("an input of " + model.datatype() + " takes its datatype's contents only");
        if (given != n) throw invalid("tensor data has " + given + " values, its shape " + n);
        if (model.ring() == null) {
            float[] f = new float[n];
            for (int i = 0; i < n; i++) f[i] = c.getFp32Contents(i);
            return new Rows.Floats(rows, dIn, f);
        }
        long[] v = new long[n];
        if (model.datatype().equals("INT64")) {
            for (int i = 0; i < n; i++) v[i] = c.getInt64Contents(i);
        } else {
            for (int i = 0; i < n; i++) v[i] = c.getIntContents(i);
        }
        return new Rows.RingElements(model.ring(), rows, dIn, v);
    }

    private static List<String> outputs(ModelInferRequest request, Oip.Model model) {
        List<String> outputs = new ArrayList<>();
        if (request.getOutputsCount() == 0) {
            outputs.add(Oip.OUTPUT);
            if (model.ring() != null) outputs.add(Oip.ROW_SCALES);
            return outputs;
        }
        for (var o : request.getOutputsList()) {
            String n = o.getName();
            if (!n.equals(Oip.OUTPUT) && !(n.equals(Oip.ROW_SCALES) && model.ring() != null) || outputs.contains(n)) {
                throw invalid("model '" + model.name() + "' has no output '" + n + "' (or it was asked twice)");
            }
            outputs.add(n);
        }
        return outputs;
    }

    private ModelInferResponse inferReply(ModelInferRequest request, Oip.Model model, Message.LinearReply reply, List<String> outputs,
            boolean raw) {
        var b = ModelInferResponse.newBuilder().setModelName(model.name()).setModelVersion("1").setId(request.getId());
        for (String n : outputs) {
            boolean main = n.equals(Oip.OUTPUT);
            Rows rows = main ? reply.output() : new Rows.Floats(1, dims.outDim(model.matrix().projection()),
                    server.weights.ring(model.ring()).matrix(model.matrix().projection(), model.matrix().layer()).rowScales());
            var o = b.addOutputsBuilder().setName(n).setDatatype(main ? model.datatype() : "FP32");
            if (main) {
                o.addShape(rows.rows()).addShape(rows.cols());
                o.putParameters(Oip.SERVER_NANOS, InferParameter.newBuilder().setInt64Param(reply.serverNanos()).build());
            } else {
                o.addShape(rows.cols());
            }
            if (raw) {
                var buf = ByteBuffer.allocate(Math.toIntExact(rows.dataBytes()));
                Oip.write(rows, buf);
                b.addRawOutputContents(UnsafeByteOperations.unsafeWrap(buf.array()));
            } else {
                o.setContents(typed(rows));
            }
        }
        return b.build();
    }

    private static InferTensorContents typed(Rows rows) {
        var c = InferTensorContents.newBuilder();
        int n = rows.rows() * rows.cols();
        switch (rows) {
            case Rows.Floats f -> {
                for (int i = 0; i < n; i++) c.addFp32Contents(f.data()[i]);
            }
            case Rows.RingElements e when e.ring().bytes() == Long.BYTES -> {
                for (int i = 0; i < n; i++) c.addInt64Contents(e.data()[i]);
            }
            case Rows.RingElements e -> {
                for (int i = 0; i < n; i++) c.addIntContents((int) e.data()[i]);
            }
        }
        return c.build();
    }

    private Oip.Model model(String name, String version) {
        var m = Oip.model(name, dims);
        if (m == null) throw Status.NOT_FOUND.withDescription("unknown model '" + name + "'").asRuntimeException();
        if (!version.isEmpty() && !version.equals("1")) {
            throw Status.NOT_FOUND.withDescription("model '" + name + "' has only version 1").asRuntimeException();
        }
        return m;
    }

    private static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    private static <T> void reply(StreamObserver<T> out, T message) {
        out.onNext(message);
        out.onCompleted();
    }

    /** A failure as gRPC's status: the request's fault, the server's bound, or the server's own fault. */
    static Status status(Throwable e) {
        Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (c instanceof StatusRuntimeException s) return s.getStatus();
        String message = c.getMessage() == null ? c.toString() : c.getMessage();
        if (c instanceof ProtocolException p) {
            return (switch (p.code()) {
                case TOO_LARGE -> Status.RESOURCE_EXHAUSTED;
                case BUSY -> Status.UNAVAILABLE;
                case SERVER_ERROR -> Status.INTERNAL;
                case TIMEOUT -> Status.DEADLINE_EXCEEDED;
                default -> Status.INVALID_ARGUMENT;
            }).withDescription(message);
        }
        if (c instanceof IllegalArgumentException || c instanceof ArithmeticException) {
            return Status.INVALID_ARGUMENT.withDescription(message);
        }
        return Status.INTERNAL.withDescription(message);
    }
}
