package dev.veil.protocol.transport;

import dev.veil.engine.ring.Ring;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.oip.Json;
import dev.veil.protocol.oip.Oip;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;

/**
 * The client end of a weights server that speaks the Open Inference Protocol v2 over HTTP/REST with binary tensors
 * (KServe v2, Triton; docs/oip.md), as a {@link Channel}: each LINEAR becomes a POST to the matrix's model, SETUP the
 * same with the ring's row scales asked for as a second output, a SEEDED_LINEAR its expanded rows (the protocol cannot
 * carry a seed). HELLO checks the server is ready and answers with the node's own shape: the protocol has no greeting;
 * each model's metadata is checked against that shape on its first use. CMIF's decoder calls and attestation have
 * no form in the protocol and are refused here. HTTP/1.1 by {@link Http1} (kept-alive sockets, strict replies), over mutual
 * TLS 1.3 when a context is given. Every reply is bounded before it is read (by the size of the answer asked for) and checked for its
 * shape and type: a server that lies or stalls fails the call, as on the Veil protocol.
 */
public final class OipChannel implements Channel {
    /** The frame limit announced to the node (calls are sized by it): a body of this size or less. */
    public static final int MAX_BODY = 64 << 20;

    private final Transport http;
    private final String name;
    private final Duration timeout;
    private final ModelDims shape;
    private final Traffic traffic = new Traffic();
    private final Map<String, Boolean> checked = new ConcurrentHashMap<>();

    /**
     * HTTP/1.1 exchanges with an OIP server: a GET where {@code body} is null, else a POST of {@code body} whose JSON header
     * is its first {@code headerLength} bytes; the reply's body at most {@code most} bytes, all within {@code timeout}.
     * Failures are one-line {@link ProtocolException}s. {@link Http1} is the node's; a bench may put another behind.
     */
    public interface Transport extends AutoCloseable {
        Http1.Reply exchange(String path, int headerLength, byte[] body, long most, Duration timeout);

        @Override
        void close();
    }

    private OipChannel(Transport http, String name, Duration timeout, ModelDims shape) {
        this.http = http;
        this.name = name;
        this.timeout = timeout;
        this.shape = shape;
    }

    /**
     * A channel to the OIP server at {@code host:port} (over mutual TLS when {@code tls} is given) serving a model of
     * {@code shape}; nothing is sent until the first call.
     */
    public static OipChannel connect(String host, int port, SSLContext tls, Duration timeout, ModelDims shape) {
        return over(new Http1(host, port, tls), host, port, timeout, shape);
    }

    /** A channel over {@code transport} to the OIP server at {@code host:port} (named in errors). */
    public static OipChannel over(Transport transport, String host, int port, Duration timeout, ModelDims shape) {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return new OipChannel(transport, h + ":" + port, timeout, shape);
    }

    @Override
    public Message exchange(Message request) {
        return switch (request) {
            case Message.Hello h -> {
                var r = get("/v2/health/ready");
                if (r.status() != 200) throw refused("is not ready (HTTP " + r.status() + ")");
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
        long expected = (long) n * dOut * Oip.elementBytes(ring) + (scales ? 4L * dOut : 0);
        // a JSON answer (a server that ignores binary_data) takes up to ~25 characters a value
        var r = send("/v2/models/" + model + "/infer", head.length, body.array(), Oip.MAX_JSON_HEADER + Math.max(expected, 26 * expected / 4));
        if (r.status() != 200) return error(r);
        try {
            return answer(r, ring, n, dOut, scales);
        } catch (IllegalArgumentException | ArithmeticException | IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
            throw new ProtocolException(ErrorCode.BAD_FRAME, peer() + " answered " + model + " wrongly: " + oneLine(e.getMessage()));
        }
    }

    /** The model's metadata, on its first use: it must take [n, d_in] and answer [n, d_out] of the call's datatype. */
    private void check(String model, String type, int dIn, int dOut, boolean scales) {
        if (checked.containsKey(model)) return;
        var r = get("/v2/models/" + model);
        if (r.status() != 200) {
            throw new ProtocolException(r.status() == 404 ? ErrorCode.UNKNOWN_MODEL : ErrorCode.SERVER_ERROR,
                    peer() + " does not serve model '" + model + "' (HTTP " + r.status() + errorText(r.body()) + ")");
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
            throw new ProtocolException(ErrorCode.BAD_SHAPE, peer() + ": model '" + model + "' does not fit the node's model: "
                    + oneLine(e.getMessage()));
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

    private Answer answer(Http1.Reply r, Ring ring, int n, int dOut, boolean scales) {
        byte[] b = r.body();
        int headerLength = b.length;
        var hl = r.headers().get(Oip.HEADER_LENGTH.toLowerCase(java.util.Locale.ROOT));
        if (hl != null) {
            headerLength = Integer.parseInt(hl);
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
    private Message.Error error(Http1.Reply r) {
        ErrorCode code = switch (r.status()) {
            case 400, 422 -> ErrorCode.BAD_SHAPE;
            case 413 -> ErrorCode.TOO_LARGE;
            case 404 -> ErrorCode.UNKNOWN_MODEL;
            case 408, 504 -> ErrorCode.TIMEOUT;
            case 503, 429 -> ErrorCode.BUSY;
            default -> ErrorCode.SERVER_ERROR;
        };
        return new Message.Error(code, "HTTP " + r.status() + errorText(r.body()));
    }

    /** Text from the server (its error, its tensors' names, types and shapes) as one line: control characters as '?'. */
    static String oneLine(String text) {
        var b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) || c == 0x2028 || c == 0x2029 ? '?' : c));
        return b.toString();
    }

    private static String errorText(byte[] body) {
        try {
            var o = Json.object(Json.parse(body, 0, body.length), "an error");
            return ": " + oneLine(Json.string(o.get("error"), "error").lines().findFirst().orElse(""));
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private Http1.Reply get(String path) {
        return send(path, -1, null, 1 << 20);
    }

    /** Sends a request (a GET where {@code body} is null) and reads its reply, its body at most {@code most} bytes. */
    private Http1.Reply send(String path, int headerLength, byte[] body, long most) {
        var r = http.exchange(path, headerLength, body, most, timeout);
        traffic.sent(r.bytesSent());
        traffic.received(r.bytesReceived());
        return r;
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
        http.close();
    }
}
