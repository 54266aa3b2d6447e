package dev.veil.protocol.transport;

import dev.veil.engine.ring.Ring;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.oip.Json;
import dev.veil.protocol.oip.Oip;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The client end of a weights server that speaks the Open Inference Protocol v2 over HTTP/REST with binary tensors
 * (KServe v2, Triton; docs/oip.md), as a {@link Channel}: each LINEAR becomes a POST to the matrix's model, SETUP the
 * same with the ring's row scales asked for as a second output, a SEEDED_LINEAR its expanded rows (the protocol cannot
 * carry a seed). HELLO checks the server is ready and answers with the node's own shape: the protocol has no greeting;
 * each model's metadata is checked against that shape on its first use. CMIF's decoder calls and attestation have
 * no form in the protocol and are refused here. The JDK's HTTP client, HTTP/1.1, over mutual TLS 1.3 when a context
 * is given. Every reply is bounded before it is read (by the size of the answer asked for) and checked for its
 * shape and type: a server that lies or stalls fails the call, as on the Veil protocol.
 */
public final class OipChannel implements Channel {
    /** The frame limit announced to the node (calls are sized by it): a body of this size or less. */
    public static final int MAX_BODY = 64 << 20;

    private final HttpClient http;
    private final URI base;
    private final String name;
    private final Duration timeout;
    private final ModelDims shape;
    private final Traffic traffic = new Traffic();
    private final Map<String, Boolean> checked = new ConcurrentHashMap<>();

    private OipChannel(HttpClient http, URI base, String name, Duration timeout, ModelDims shape) {
        this.http = http;
        this.base = base;
        this.name = name;
        this.timeout = timeout;
        this.shape = shape;
    }

    /**
     * A channel to the OIP server at {@code host:port} (over mutual TLS when {@code tls} is given) serving a model of
     * {@code shape}; nothing is sent until the first call.
     */
    public static OipChannel connect(String host, int port, SSLContext tls, Duration timeout, ModelDims shape) {
        var b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .proxy(HttpClient.Builder.NO_PROXY)
                .executor(Runnable::run); // replies complete on the client's selector thread: one thread hop fewer a call
        if (tls != null) {
            var p = new SSLParameters();
            p.setProtocols(Tls.PROTOCOLS);
            p.setCipherSuites(Tls.SUITES);
            b.sslContext(tls).sslParameters(p);
        }
        String h = host.contains(":") ? "[" + host + "]" : host;
        var base = URI.create((tls == null ? "http://" : "https://") + h + ":" + port);
        return new OipChannel(b.build(), base, h + ":" + port, timeout, shape);
    }

    @Override
    public Message exchange(Message request) {
        return switch (request) {
            case Message.Hello h -> {
                var r = get("/v2/health/ready");
                if (r.statusCode() != 200) throw refused("is not ready (HTTP " + r.statusCode() + ")");
                yield new Message.Welcome(h.modelId(), shape, MAX_BODY);
            }
            case Message.Linear l -> {
                var out = infer(Oip.name(l.matrix(), Oip.ring(l.input())), l.matrix(), l.input(), false);
                yield out instanceof Message.Error e ? e : new Message.LinearReply(((Answer) out).output, ((Answer) out).nanos);
            }
            case Message.SeededLinear s -> exchange(s.expand()); // the protocol cannot carry a seed: the rows themselves
            case Message.Setup s -> {
                Ring ring = Oip.ring(s.base());
                var out = infer(Oip.name(s.matrix(), ring), s.matrix(), s.base(), ring != null);
                yield out instanceof Message.Error e ? e : new Message.SetupReply(((Answer) out).output,
                        ring == null ? new float[0] : ((Answer) out).scales);
            }
            case Message.Decode d -> throw onlyVeil("CMIF's decoder stack (stateful, with a KV cache per session)");
            case Message.EndSession e -> throw onlyVeil("CMIF's decoder stack (stateful, with a KV cache per session)");
            case Message.Challenge c -> throw onlyVeil("attestation");
            case Message.Evidence e -> throw onlyVeil("attestation");
            default -> throw new ProtocolException(ErrorCode.BAD_FRAME, "the Open Inference Protocol has no form for "
                    + request.getClass().getSimpleName());
        };
    }

    private static ProtocolException onlyVeil(String what) {
        return new ProtocolException(ErrorCode.BAD_FRAME, what + " has no form in the Open Inference Protocol: it needs a weights "
                + "server over Veil's protocol (--weights-server HOST:PORT, not oip://)");
    }

    private ProtocolException refused(String why) {
        return new ProtocolException(ErrorCode.CLOSED, peer() + " " + why);
    }

    /** An infer call's answer: the output rows, the row scales if asked, the server's multiply time if it said. */
    private record Answer(Rows output, float[] scales, long nanos) {}

    private Object infer(String model, dev.veil.protocol.MatrixId matrix, Rows input, boolean scales) {
        Ring ring = Oip.ring(input);
        String type = Oip.datatype(ring);
        int dOut = shape.outDim(matrix.projection()), n = input.rows();
        check(model, type, shape.inDim(matrix.projection()), dOut, ring != null);
        var json = new StringBuilder(256).append("{\"inputs\":[{\"name\":\"input\",\"shape\":[").append(n).append(',').append(input.cols())
                .append("],\"datatype\":\"").append(type).append("\",\"parameters\":{\"binary_data_size\":").append(input.dataBytes())
                .append("}}],\"outputs\":[{\"name\":\"output\",\"parameters\":{\"binary_data\":true}}");
        if (scales) json.append(",{\"name\":\"row_scales\",\"parameters\":{\"binary_data\":true}}");
        byte[] head = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        var body = ByteBuffer.allocate(Math.toIntExact(head.length + input.dataBytes()));
        body.put(head);
        Oip.write(input, body);
        var request = HttpRequest.newBuilder(base.resolve("/v2/models/" + model + "/infer")).timeout(timeout)
                .header("Content-Type", "application/octet-stream").header(Oip.HEADER_LENGTH, String.valueOf(head.length))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.array())).build();
        long expected = (long) n * dOut * Oip.elementBytes(ring) + (scales ? 4L * dOut : 0);
        // a JSON answer (a server that ignores binary_data) takes up to ~25 characters a value
        var r = send(request, head.length + input.dataBytes(), Oip.MAX_JSON_HEADER + Math.max(expected, 26 * expected / 4));
        if (r.statusCode() != 200) return error(r);
        try {
            return answer(r, ring, n, dOut, scales);
        } catch (IllegalArgumentException | ArithmeticException | IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
            throw new ProtocolException(ErrorCode.BAD_FRAME, peer() + " answered " + model + " wrongly: " + e.getMessage());
        }
    }

    /** The model's metadata, on its first use: it must take [n, d_in] and answer [n, d_out] of the call's datatype. */
    private void check(String model, String type, int dIn, int dOut, boolean scales) {
        if (checked.containsKey(model)) return;
        var r = get("/v2/models/" + model);
        if (r.statusCode() != 200) {
            throw new ProtocolException(r.statusCode() == 404 ? ErrorCode.UNKNOWN_MODEL : ErrorCode.SERVER_ERROR,
                    peer() + " does not serve model '" + model + "' (HTTP " + r.statusCode() + errorText(r.body()) + ")");
        }
        try {
            var meta = Json.object(Json.parse(r.body(), 0, r.body().length), "model metadata");
            var in = tensor(meta, "inputs", Oip.INPUT);
            var out = tensor(meta, "outputs", Oip.OUTPUT);
            if (!type.equals(in.get("datatype")) || !type.equals(out.get("datatype"))) {
                throw new IllegalArgumentException("its datatype is not " + type);
            }
            if (!dims(in).equals(List.of(-1L, (long) dIn)) || !dims(out).equals(List.of(-1L, (long) dOut))) {
                throw new IllegalArgumentException("it takes " + dims(in) + " to " + dims(out) + ", the node's model [-1, " + dIn + "] to [-1, "
                        + dOut + "]");
            }
            if (scales) tensor(meta, "outputs", Oip.ROW_SCALES);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.BAD_SHAPE, peer() + ": model '" + model + "' does not fit the node's model: " + e.getMessage());
        }
        checked.put(model, true);
    }

    private static Map<String, Object> tensor(Map<String, Object> meta, String list, String name) {
        for (Object o : Json.list(meta.get(list), list)) {
            var t = Json.object(o, "a tensor");
            if (name.equals(t.get("name"))) return t;
        }
        throw new IllegalArgumentException("it has no " + list.substring(0, list.length() - 1) + " '" + name + "'");
    }

    private static List<Object> dims(Map<String, Object> t) {
        return Json.list(t.get("shape"), "a shape");
    }

    private Answer answer(HttpResponse<byte[]> r, Ring ring, int n, int dOut, boolean scales) {
        byte[] b = r.body();
        int headerLength = b.length;
        var hl = r.headers().firstValue(Oip.HEADER_LENGTH);
        if (hl.isPresent()) {
            headerLength = Integer.parseInt(hl.get());
            if (headerLength < 0 || headerLength > b.length) throw new IllegalArgumentException(Oip.HEADER_LENGTH + " past the body");
        }
        var head = Json.object(Json.parse(b, 0, headerLength), "the reply");
        int offset = headerLength;
        Rows output = null;
        float[] rowScales = null;
        long nanos = 0;
        for (Object o : Json.list(head.get("outputs"), "outputs")) {
            var t = Json.object(o, "an output");
            String tname = Json.string(t.get("name"), "an output's name");
            boolean main = tname.equals(Oip.OUTPUT);
            if (!main && !(scales && tname.equals(Oip.ROW_SCALES))) continue;
            String want = main ? Oip.datatype(ring) : "FP32";
            if (!want.equals(t.get("datatype"))) throw new IllegalArgumentException(tname + " is " + t.get("datatype") + ", not " + want);
            var dims = Json.list(t.get("shape"), "a shape");
            var should = main ? List.<Object>of((long) n, (long) dOut) : List.<Object>of((long) dOut);
            if (!dims.equals(should)) throw new IllegalArgumentException(tname + " has shape " + dims + ", not " + should);
            var params = t.get("parameters") == null ? Map.<String, Object>of() : Json.object(t.get("parameters"), "parameters");
            Ring valueRing = main ? ring : null;
            int rows = main ? n : 1;
            Rows values;
            if (params.get("binary_data_size") != null) {
                long size = Json.integer(params.get("binary_data_size"), "binary_data_size");
                if (size != (long) rows * dOut * Oip.elementBytes(valueRing) || offset + size > b.length) {
                    throw new IllegalArgumentException(tname + " declares " + size + " bytes of binary data");
                }
                values = Oip.read(valueRing, rows, dOut, java.util.Arrays.copyOfRange(b, offset, (int) (offset + size)), 0);
                offset += (int) size;
            } else {
                values = Oip.read(valueRing, rows, dOut, Json.flatten(t.get("data")));
            }
            if (main) {
                output = values;
                if (params.get(Oip.SERVER_NANOS) instanceof Long l) nanos = l;
            } else {
                rowScales = ((Rows.Floats) values).data();
            }
        }
        if (output == null) throw new IllegalArgumentException("no output '" + Oip.OUTPUT + "'");
        if (scales && rowScales == null) throw new IllegalArgumentException("no output '" + Oip.ROW_SCALES + "'");
        return new Answer(output, rowScales, nanos);
    }

    /** An error status as the Veil protocol's error: a fault of the request (no failover) or of the server. */
    private Message.Error error(HttpResponse<byte[]> r) {
        ErrorCode code = switch (r.statusCode()) {
            case 400, 422 -> ErrorCode.BAD_SHAPE;
            case 413 -> ErrorCode.TOO_LARGE;
            case 404 -> ErrorCode.UNKNOWN_MODEL;
            case 408, 504 -> ErrorCode.TIMEOUT;
            case 503, 429 -> ErrorCode.BUSY;
            default -> ErrorCode.SERVER_ERROR;
        };
        return new Message.Error(code, "HTTP " + r.statusCode() + errorText(r.body()));
    }

    private static String errorText(byte[] body) {
        try {
            var o = Json.object(Json.parse(body, 0, body.length), "an error");
            return ": " + Json.string(o.get("error"), "error").lines().findFirst().orElse("");
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private HttpResponse<byte[]> get(String path) {
        var request = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).GET().build();
        return send(request, 0, 1 << 20);
    }

    /** Sends {@code request} and reads its reply, at most {@code most} bytes of body, all within the deadline. */
    private HttpResponse<byte[]> send(HttpRequest request, long bodyBytes, long most) {
        CompletableFuture<HttpResponse<byte[]>> f = http.sendAsync(request, info -> bounded(info, most));
        try {
            var r = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            // what crossed the wire, but for the headers the client adds on its own (Host, User-Agent, Content-Length)
            traffic.sent(request.uri().getRawPath().length() + 200 + bodyBytes);
            traffic.received(r.body().length + 100 + r.headers().map().toString().length());
            return r;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new ProtocolException(ErrorCode.TIMEOUT, "no reply from " + peer() + " within " + TcpServer.duration(timeout));
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new ProtocolException(ErrorCode.CLOSED, "interrupted waiting for " + peer());
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ProtocolException p) throw p;
            throw new ProtocolException(ErrorCode.CLOSED, peer() + ": " + (c.getMessage() == null ? c.toString() : c.getMessage()));
        }
    }

    /** A body of at most {@code most} bytes: a server that announces or sends more fails the call before it is all held. */
    private HttpResponse.BodySubscriber<byte[]> bounded(HttpResponse.ResponseInfo info, long most) {
        long announced = info.headers().firstValueAsLong("content-length").orElse(-1);
        var inner = HttpResponse.BodySubscribers.ofByteArray();
        return new HttpResponse.BodySubscriber<>() {
            long seen;
            Flow.Subscription subscription;
            boolean failed;

            @Override
            public CompletionStage<byte[]> getBody() {
                return inner.getBody();
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                inner.onSubscribe(s);
                if (announced > most) {
                    fail(new ProtocolException(ErrorCode.TOO_LARGE, peer() + " announced a reply of " + announced + " bytes; at most "
                            + most + " were asked for"));
                }
            }

            @Override
            public void onNext(List<ByteBuffer> items) {
                if (failed) return;
                for (ByteBuffer b : items) seen += b.remaining();
                if (seen > most) {
                    fail(new ProtocolException(ErrorCode.TOO_LARGE, peer() + " sent a reply of over " + most + " bytes"));
                    return;
                }
                inner.onNext(items);
            }

            private void fail(ProtocolException e) {
                failed = true;
                subscription.cancel();
                inner.onError(e);
            }

            @Override
            public void onError(Throwable t) {
                if (!failed) inner.onError(t);
            }

            @Override
            public void onComplete() {
                if (!failed) inner.onComplete();
            }
        };
    }

    @Override
    public String peer() {
        return "OIP weights server " + name;
    }

    @Override
    public Traffic traffic() {
        return traffic;
    }

    @Override
    public void close() {
        http.shutdownNow();
    }
}
