package dev.veil.weights;

import dev.veil.engine.ring.Ring;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Frame;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.oip.Json;
import dev.veil.protocol.oip.Oip;
import dev.veil.protocol.transport.ByteBudget;
import dev.veil.protocol.transport.Peer;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.ServerMetrics;
import dev.veil.protocol.transport.TcpServer;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The weights server's Open Inference Protocol v2 port (KServe v2 / Triton HTTP/REST, with the binary tensor data
 * extension; docs/oip.md): the same {@link WeightsServer} (its batcher, transcript and checks) behind HTTP/1.1, within
 * the same {@link ServerLimits} as the Veil protocol's port: a request (head and body) must arrive within the frame
 * deadline, the first one within the greeting deadline of the accept, and the connection may idle for the idle timeout;
 * a reply not read within the write deadline drops the peer; a body is at most the largest payload (and is held as it
 * arrives, not as announced); every byte a peer makes the server hold is held against a budget of the same size per
 * connection and in total; connections are bounded, each with one platform thread. HTTP/1.1 only, bodies with a
 * Content-Length only (no chunked requests), one request at a time per connection (keep-alive). Every refusal is the
 * protocol's error status with a JSON body {@code {"error": "..."}}.
 *
 * <p>The protocol has no HELLO and no attestation: a peer that reaches this port is served. Over mutual TLS only
 * nodes' certificates open a connection; without TLS it listens on loopback only (the caller's check).
 */
public final class OipServer implements AutoCloseable {
    /** Bytes of a request's line and headers at most. */
    public static final int MAX_HEAD = 16 << 10;
    /** Bytes of a body that is all JSON (tensor data as JSON numbers) at most: their values take up to four times as much. */
    public static final int MAX_JSON_BODY = 16 << 20;

    private final ServerSocket listener;
    private final WeightsServer weights;
    private final ModelDims dims;
    private final ServerLimits limits;
    private final Consumer<String> log;
    private final Set<Conn> connections = ConcurrentHashMap.newKeySet();
    private final LongAdder bytesIn = new LongAdder(), bytesOut = new LongAdder(), requests = new LongAdder();
    private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    private final ByteBudget budget;
    private final AtomicLong held = new AtomicLong(); // of the budget, by this port's connections
    private volatile boolean closed;

    private OipServer(ServerSocket listener, WeightsServer weights, ServerLimits limits, ByteBudget budget, Consumer<String> log) {
        this.listener = listener;
        this.budget = budget;
        this.weights = weights;
        this.dims = weights.shape();
        this.limits = limits;
        this.log = log;
        Thread.ofPlatform().daemon().name("veil-oip-accept-" + listener.getLocalPort()).start(this::acceptLoop);
        Thread.ofPlatform().daemon().name("veil-oip-reaper-" + listener.getLocalPort()).start(this::reap);
    }

    /** Serves {@code weights} on {@code host:port} (0: any free port), over mutual TLS when {@code tls} is given. */
    public static OipServer start(WeightsServer weights, String host, int port, SSLContext tls, ServerLimits limits, Consumer<String> log)
            throws IOException {
        return start(weights, host, port, tls, limits, ByteBudget.of(limits, 1), log);
    }

    /** As above, holding its peers' bytes against {@code budget}, shared with the server's other ports ({@link ByteBudget#of}). */
    public static OipServer start(WeightsServer weights, String host, int port, SSLContext tls, ServerLimits limits, ByteBudget budget,
            Consumer<String> log) throws IOException {
        var listener = TcpServer.listen(host, port, tls, "cannot listen for the Open Inference Protocol on ");
        return new OipServer(listener, weights, limits, budget, log);
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Bytes read from and written to peers (HTTP heads and bodies), requests answered, and answers by status. */
    public long bytesIn() { return bytesIn.sum(); }

    public long bytesOut() { return bytesOut.sum(); }

    public long requests() { return requests.sum(); }

    public long answered(int status) {
        var n = statuses.get(status);
        return n == null ? 0 : n.sum();
    }

    /** Bytes held for this port's peers now. */
    public long held() {
        return held.get();
    }

    public int connections() {
        return connections.size();
    }

    /** The OIP port's counters in Prometheus' text format, for the weights server's {@code /metrics}. */
    public void prometheus(StringBuilder out) {
        ServerMetrics.counter(out, "veil_oip_requests_total", "Open Inference Protocol requests read.", requests());
        ServerMetrics.labelled(out, "veil_oip_answers_total", "Open Inference Protocol answers, by HTTP status.", "status", statuses);
        ServerMetrics.counter(out, "veil_oip_bytes_received_total", "Bytes of OIP heads and bodies read.", bytesIn());
        ServerMetrics.counter(out, "veil_oip_bytes_sent_total", "Bytes of OIP heads and bodies written.", bytesOut());
        ServerMetrics.gauge(out, "veil_oip_connections_open", "OIP connections open now.", connections());
        ServerMetrics.gauge(out, "veil_oip_held_bytes", "Bytes held for OIP peers now.", held());
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                if (!closed) log.accept("oip: accept failed: " + e.getMessage());
                continue;
            }
            if (connections.size() >= limits.maxConnections()) {
                if (!(s instanceof SSLSocket)) {
                    try {
                        s.setSoTimeout(1000);
                        writeSimple(s.getOutputStream(), 503, "the weights server has " + limits.maxConnections()
                                + " connections open; retry later");
                    } catch (IOException | RuntimeException ignored) {
                        // best effort
                    }
                }
                closeQuietly(s);
                continue;
            }
            try {
                var c = new Conn(s);
                connections.add(c);
                Thread.ofPlatform().daemon().name("veil-oip-" + c.peer.id()).start(c::run);
            } catch (RuntimeException | Error e) {
                connections.removeIf(c -> c.socket == s);
                closeQuietly(s);
                log.accept("oip: accept failed: " + e);
            }
        }
    }

    private void reap() {
        while (!closed) {
            try {
                Thread.sleep(Math.max(1, limits.tick().toMillis()));
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Conn c : connections) {
                long since = c.writingSince;
                if (since != 0 && now - since > limits.writeDeadline().toNanos()) {
                    log.accept("oip: " + c.peer + " dropped: did not read its reply within " + limits.writeDeadline().toSeconds() + " s");
                    closeQuietly(c.socket);
                } else if (!c.served && now - c.acceptedAt > limits.greetingDeadline().toNanos() + 4 * limits.tick().toNanos()) {
                    closeQuietly(c.socket); // a TLS handshake or first request dripped past the deadline
                }
            }
        }
    }

    /** An HTTP failure: its status, its message, and whether the connection must close after it. */
    private static final class HttpError extends Exception {
        final int status;
        final boolean close;

        HttpError(int status, String message, boolean close) {
            super(message, null, false, false);
            this.status = status;
            this.close = close;
        }
    }

    private record Request(String method, String path, Map<String, String> headers, boolean keepAlive) {}

    private record Reply(int status, String contentType, Map<String, String> headers, byte[] body) {}

    private final class Conn extends ByteBudget.Account {
        final Socket socket;
        final Peer peer;
        final long acceptedAt = System.nanoTime();
        volatile long writingSince;
        volatile boolean served;
        long start; // nanoTime the current request began (its first byte, or the accept for the first request)
        long deadlineNanos;
        long mine; // bytes this connection holds; only its own thread touches it

        Conn(Socket socket) {
            this.socket = socket;
            this.peer = new Peer(String.valueOf(socket.getRemoteSocketAddress()));
            peer.greeted(true); // the protocol has no greeting: a peer that reached this port is served
        }

        @Override
        protected boolean closing() {
            return closed || socket.isClosed();
        }

        void run() {
            try {
                socket.setTcpNoDelay(true);
                if (socket instanceof SSLSocket tls) {
                    socket.setSoTimeout((int) limits.greetingDeadline().toMillis());
                    tls.startHandshake();
                }
                socket.setSoTimeout((int) Math.max(1, limits.tick().toMillis()));
                InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
                OutputStream out = socket.getOutputStream();
                boolean first = true;
                while (!closed) {
                    Request r;
                    try {
                        r = head(in, first);
                    } catch (HttpError e) {
                        send(out, error(e.status, e.getMessage()), false);
                        linger(in);
                        return;
                    }
                    if (r == null) return;
                    first = false;
                    served = true; // its first request's head came in time: from here the request's own deadlines apply
                    Reply reply;
                    boolean keep = r.keepAlive();
                    try {
                        reply = answer(r, in, out);
                    } catch (HttpError e) {
                        reply = error(e.status, e.getMessage());
                        keep &= !e.close;
                    } finally {
                        give(mine);
                    }
                    send(out, reply, keep);
                    if (!keep) {
                        if (reply.status() != 200) linger(in);
                        return;
                    }
                }
            } catch (IOException e) {
                // the peer left, timed out, or was dropped
            } catch (RuntimeException | Error e) {
                log.accept("oip: " + peer + " failed: " + e);
            } finally {
                give(mine);
                closeQuietly(socket);
                connections.remove(this);
                try {
                    weights.disconnected(peer);
                } catch (RuntimeException e) {
                    log.accept("oip: " + peer + ": cleanup failed: " + e);
                }
            }
        }

        /**
         * Closes after an error without resetting the connection under the peer's feet (which can discard the error before
         * it is read): stops writing, then discards what the peer still sends, at most 1 MiB for at most a second.
         */
        private void linger(InputStream in) {
            try {
                socket.shutdownOutput();
                long until = System.nanoTime() + 1_000_000_000L;
                byte[] sink = new byte[8192];
                for (long n = 0; n < 1 << 20 && System.nanoTime() < until; ) {
                    try {
                        int r = in.read(sink);
                        if (r < 0) return;
                        n += r;
                    } catch (SocketTimeoutException e) {
                        // keep waiting until the peer closes or the second passes
                    }
                }
            } catch (IOException | UnsupportedOperationException ignored) {
                // closing anyway (a TLS socket cannot half-close)
            }
        }

        /** The next request's line and headers; null when the peer closed (or idled out) between requests. */
        private Request head(InputStream in, boolean first) throws IOException, HttpError {
            long idle = (first ? limits.greetingDeadline() : limits.idleTimeout()).toNanos();
            long waitFrom = System.nanoTime();
            int b;
            while (true) {
                try {
                    b = in.read();
                    break;
                } catch (SocketTimeoutException e) {
                    if (closed) return null;
                    if (System.nanoTime() - waitFrom > idle) {
                        if (first) throw new HttpError(408, "no request within " + limits.greetingDeadline().toSeconds() + " s", true);
                        return null;
                    }
                }
            }
            if (b < 0) return null;
            start = first ? acceptedAt : System.nanoTime();
            deadlineNanos = first ? limits.greetingDeadline().toNanos() : limits.frameDeadline().toNanos();
            byte[] buf = new byte[1024];
            int n = 0;
            buf[n++] = (byte) b;
            while (n < 4 || buf[n - 4] != '\r' || buf[n - 3] != '\n' || buf[n - 2] != '\r' || buf[n - 1] != '\n') {
                if (n == MAX_HEAD) throw new HttpError(431, "request line and headers exceed " + MAX_HEAD + " bytes", true);
                int c;
                try {
                    c = in.read();
                } catch (SocketTimeoutException e) {
                    checkDeadline();
                    continue;
                }
                if (c < 0) throw new EOFException("closed inside a request");
                if (n == buf.length) buf = java.util.Arrays.copyOf(buf, Math.min(MAX_HEAD, 2 * n));
                buf[n++] = (byte) c;
                if ((n & 0xff) == 0) checkDeadline();
            }
            bytesIn.add(n);
            String[] lines = new String(buf, 0, n - 4, StandardCharsets.ISO_8859_1).split("\r\n", -1);
            String[] line = lines[0].split(" ", -1);
            if (line.length != 3 || !line[2].startsWith("HTTP/1.")) throw new HttpError(400, "malformed request line", true);
            var headers = new HashMap<String, String>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) throw new HttpError(400, "malformed header line", true);
                String k = lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), v = lines[i].substring(colon + 1).strip();
                if (headers.putIfAbsent(k, v) != null && (k.equals("content-length") || k.equals("host")
                        || k.equalsIgnoreCase(Oip.HEADER_LENGTH))) {
                    throw new HttpError(400, "header " + k + " given twice", true);
                }
            }
            String connection = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
            boolean keep = line[2].equals("HTTP/1.1") ? !connection.contains("close") : connection.contains("keep-alive");
            return new Request(line[0], line[1], headers, keep);
        }

        private void checkDeadline() throws IOException {
            if (closed || socket.isClosed()) throw new EOFException("closing");
            if (System.nanoTime() - start > deadlineNanos) {
                // the peer is too slow to be answered within its time: say so (best effort) and drop it
                statuses.computeIfAbsent(408, k -> new LongAdder()).increment();
                try {
                    writeSimple(socket.getOutputStream(), 408, "request not complete within " + deadlineNanos / 1_000_000_000L + " s");
                } catch (IOException | RuntimeException ignored) {
                    // dropping it anyway
                }
                throw new EOFException("request deadline");
            }
        }

        private Reply answer(Request r, InputStream in, OutputStream out) throws IOException, HttpError {
            requests.increment();
            String path = r.path();
            int q = path.indexOf('?');
            if (q >= 0) path = path.substring(0, q);
            String[] p = path.split("/", -1);
            boolean get = r.method().equals("GET");
            long length = contentLength(r);
            if (get && length > 0) throw new HttpError(400, "a GET request has no body", true);
            if (!p[0].isEmpty() || p.length < 2 || !p[1].equals("v2")) throw new HttpError(404, "no such endpoint: " + path, length > 0);
            if (p.length == 2 || p.length == 3 && p[2].isEmpty()) return get ? ok(serverMetadata()) : notAllowed(length);
            if (p.length == 4 && p[2].equals("health") && (p[3].equals("live") || p[3].equals("ready"))) {
                return get ? ok("{" + Json.quote(p[3]) + ":true}") : notAllowed(length);
            }
            if (p.length >= 4 && p[2].equals("models")) {
                String name = p[3];
                int rest = 4;
                if (p.length >= 6 && p[4].equals("versions")) {
                    if (!p[5].equals("1")) throw new HttpError(404, "model '" + name + "' has only version 1", length > 0);
                    rest = 6;
                }
                var model = Oip.model(name, dims);
                if (model == null) throw new HttpError(404, "unknown model '" + name + "'", length > 0);
                if (p.length == rest) return get ? ok(modelMetadata(model)) : notAllowed(length);
                if (p.length == rest + 1 && p[rest].equals("ready")) {
                    return get ? ok("{\"name\":" + Json.quote(name) + ",\"ready\":true}") : notAllowed(length);
                }
                if (p.length == rest + 1 && p[rest].equals("infer")) {
                    if (!r.method().equals("POST")) throw new HttpError(405, "infer takes POST", length > 0);
                    return infer(model, r, length, in, out);
                }
            }
            throw new HttpError(404, "no such endpoint: " + path, length > 0);
        }

        private Reply notAllowed(long length) throws HttpError {
            throw new HttpError(405, "method not allowed here", length > 0);
        }

        private long contentLength(Request r) throws HttpError {
            if (r.headers().containsKey("transfer-encoding")) {
                throw new HttpError(411, "send the body with a Content-Length (chunked bodies are not taken)", true);
            }
            String v = r.headers().get("content-length");
            if (v == null) return 0;
            try {
                long n = Long.parseLong(v);
                if (n < 0) throw new NumberFormatException();
                return n;
            } catch (NumberFormatException e) {
                throw new HttpError(400, "bad Content-Length '" + v + "'", true);
            }
        }

        private Reply infer(Oip.Model model, Request r, long length, InputStream in, OutputStream out) throws IOException, HttpError {
            String hl = r.headers().get(Oip.HEADER_LENGTH.toLowerCase(Locale.ROOT));
            long most = hl == null ? MAX_JSON_BODY : limits.maxPayload() + (long) Oip.MAX_JSON_HEADER;
            if (length > most) {
                throw new HttpError(413, "a body of " + length + " bytes exceeds the limit of " + most + (hl == null
                        ? " for an all-JSON request (send tensors as binary data)" : ""), true);
            }
            long headerLength = length;
            if (hl != null) {
                try {
                    headerLength = Long.parseLong(hl);
                } catch (NumberFormatException e) {
                    throw new HttpError(400, "bad " + Oip.HEADER_LENGTH + " '" + hl + "'", true);
                }
                if (headerLength < 0 || headerLength > length || headerLength > Oip.MAX_JSON_HEADER) {
                    throw new HttpError(400, Oip.HEADER_LENGTH + " must be within the body and at most " + Oip.MAX_JSON_HEADER
                            + " bytes, got " + hl, true);
                }
            }
            if ("100-continue".equalsIgnoreCase(r.headers().get("expect"))) {
                out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            start = System.nanoTime();
            deadlineNanos = limits.frameDeadline().toNanos();
            byte[] body = Frame.readPayload(in, (int) length, timedOut -> checkDeadline(), new Frame.Memory() {
                @Override
                public void take(long bytes) throws IOException {
                    if (!hold(bytes)) {
                        checkDeadline();
                        throw new EOFException("no room");
                    }
                }

                @Override
                public void give(long bytes) {
                    Conn.this.give(bytes);
                }
            });
            bytesIn.add(length);
            return compute(model, body, (int) headerLength, hl != null);
        }

        private Reply compute(Oip.Model model, byte[] body, int headerLength, boolean binary) throws HttpError {
            Map<String, Object> header;
            try {
                header = Json.object(Json.parse(body, 0, headerLength), "the inference request");
            } catch (IllegalArgumentException e) {
                throw new HttpError(400, e.getMessage(), false);
            }
            // the JSON's values are held beside the body: up to four times its bytes (eight per number of two)
            if (!binary && !hold(4L * headerLength + 64)) throw new HttpError(503, BUSY, false);
            Rows input;
            boolean binaryOut;
            List<String> outputs = new ArrayList<>();
            Map<String, Boolean> binaryOf = new HashMap<>();
            int dIn = dims.inDim(model.matrix().projection()), dOut = dims.outDim(model.matrix().projection());
            try {
                var inputs = Json.list(header.get("inputs"), "inputs");
                if (inputs.size() != 1) throw new IllegalArgumentException("model '" + model.name() + "' takes one input, got "
                        + inputs.size());
                var t = Json.object(inputs.getFirst(), "an input");
                String name = Json.string(t.get("name"), "an input's name");
                if (!name.equals(Oip.INPUT)) throw new IllegalArgumentException("model '" + model.name() + "' has no input '" + name + "'");
                String type = Json.string(t.get("datatype"), "the input's datatype");
                if (!type.equals(model.datatype())) {
                    throw new IllegalArgumentException("model '" + model.name() + "' takes " + model.datatype() + ", got " + type);
                }
                var shape = Json.list(t.get("shape"), "the input's shape");
                if (shape.size() != 2) throw new IllegalArgumentException("the input's shape must be [rows, " + dIn + "], got " + shape);
                long rows = Json.integer(shape.get(0), "a dimension"), cols = Json.integer(shape.get(1), "a dimension");
                if (cols != dIn || rows < 0 || rows * dIn > Integer.MAX_VALUE / 8) {
                    throw new IllegalArgumentException("model '" + model.name() + "' takes an input of shape [rows, " + dIn + "], got "
                            + shape);
                }
                var params = parameters(t);
                long size = rows * dIn * Oip.elementBytes(model.ring());
                if (params.get("binary_data_size") != null) {
                    long declared = Json.integer(params.get("binary_data_size"), "binary_data_size");
                    if (declared != size || !binary || body.length - headerLength != size) {
                        throw new IllegalArgumentException("input of shape " + shape + " in " + type + " takes " + size
                                + " bytes of binary data; binary_data_size says " + declared + " and "
                                + (binary ? body.length - headerLength : 0) + " follow the header");
                    }
                    input = Oip.read(model.ring(), (int) rows, dIn, body, headerLength);
                } else {
                    if (binary && body.length != headerLength) {
                        throw new IllegalArgumentException("binary data follows but no input declares it");
                    }
                    input = Oip.read(model.ring(), (int) rows, dIn, Json.flatten(t.get("data")));
                }
                var reqParams = parameters(header);
                binaryOut = Boolean.TRUE.equals(reqParams.get("binary_data_output"));
                if (header.get("outputs") == null) {
                    outputs.add(Oip.OUTPUT);
                    if (model.ring() != null) outputs.add(Oip.ROW_SCALES);
                } else {
                    for (Object o : Json.list(header.get("outputs"), "outputs")) {
                        var out = Json.object(o, "an output");
                        String n = Json.string(out.get("name"), "an output's name");
                        if (!n.equals(Oip.OUTPUT) && !(n.equals(Oip.ROW_SCALES) && model.ring() != null) || outputs.contains(n)) {
                            throw new IllegalArgumentException("model '" + model.name() + "' has no output '" + n
                                    + "' (or it was asked twice)");
                        }
                        outputs.add(n);
                        var op = parameters(out);
                        if (op.get("binary_data") instanceof Boolean bd) binaryOf.put(n, bd);
                    }
                }
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new HttpError(400, e.getMessage(), false);
            }
            body = null; // the values are decoded
            var call = new Message.Linear(model.matrix(), input);
            long replyBytes = (long) input.rows() * dOut * Oip.elementBytes(model.ring()) + 4L * dOut + 1024;
            try {
                long bound = weights.replyBound(call);
                if (bound > limits.maxPayload()) {
                    throw new HttpError(413, "the reply would take " + bound + " bytes, over the limit of " + limits.maxPayload()
                            + "; send fewer rows per call", false);
                }
                if (!hold(Math.max(bound, weights.heldBound(call)) + replyBytes)) {
                    throw new HttpError(503, BUSY, false);
                }
                var reply = (Message.LinearReply) weights.handle(peer, call).get();
                float[] scales = outputs.contains(Oip.ROW_SCALES)
                        ? weights.rowScales(model.matrix(), model.ring()) : null;
                return inferReply(model, reply, scales, outputs, binaryOf, binaryOut);
            } catch (ProtocolException | IllegalArgumentException e) {
                throw new HttpError(status(e), e.getMessage(), false);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                throw new HttpError(c instanceof ProtocolException || c instanceof IllegalArgumentException ? status(c) : 500,
                        c.getMessage() == null ? c.toString() : c.getMessage(), false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HttpError(503, "the weights server is shutting down", true);
            }
        }

        private Reply inferReply(Oip.Model model, Message.LinearReply reply, float[] scales, List<String> outputs,
                                 Map<String, Boolean> binaryOf, boolean binaryOut) {
            var json = new StringBuilder(256).append("{\"model_name\":").append(Json.quote(model.name()))
                    .append(",\"model_version\":\"1\",\"outputs\":[");
            List<Rows> binaries = new ArrayList<>();
            for (int i = 0; i < outputs.size(); i++) {
                String n = outputs.get(i);
                Rows rows = n.equals(Oip.OUTPUT) ? reply.output() : new Rows.Floats(1, scales.length, scales);
                boolean bin = binaryOf.getOrDefault(n, binaryOut);
                if (i > 0) json.append(',');
                json.append("{\"name\":").append(Json.quote(n)).append(",\"datatype\":")
                        .append(Json.quote(n.equals(Oip.OUTPUT) ? model.datatype() : "FP32")).append(",\"shape\":")
                        .append(n.equals(Oip.OUTPUT) ? "[" + rows.rows() + "," + rows.cols() + "]" : "[" + rows.cols() + "]");
                json.append(",\"parameters\":{");
                if (n.equals(Oip.OUTPUT)) {
                    json.append(Json.quote(Oip.SERVER_NANOS)).append(':').append(reply.serverNanos()).append(bin ? "," : "");
                }
                if (bin) {
                    json.append("\"binary_data_size\":").append(rows.dataBytes()).append("}}");
                    binaries.add(rows);
                } else {
                    json.append("},\"data\":");
                    Oip.json(rows, json);
                    json.append('}');
                }
            }
            byte[] head = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
            if (binaries.isEmpty()) return new Reply(200, "application/json", Map.of(), head);
            long total = head.length + binaries.stream().mapToLong(Rows::dataBytes).sum();
            var buf = ByteBuffer.allocate(Math.toIntExact(total));
            buf.put(head);
            for (Rows b : binaries) Oip.write(b, buf);
            return new Reply(200, "application/octet-stream", Map.of(Oip.HEADER_LENGTH, String.valueOf(head.length)), buf.array());
        }

        /** Holds {@code bytes} more against the server's budget (shared with its other ports), waiting at most four ticks. */
        private boolean hold(long bytes) {
            if (!budget.acquire(this, bytes, 0, limits.tick().toNanos() * 4)) return false;
            held.addAndGet(bytes);
            mine += bytes;
            return true;
        }

        private void give(long bytes) {
            if (bytes == 0) return;
            budget.release(this, bytes);
            held.addAndGet(-bytes);
            mine -= bytes;
        }

        private void send(OutputStream out, Reply r, boolean keepAlive) throws IOException {
            statuses.computeIfAbsent(r.status(), s -> new LongAdder()).increment();
            var h = new StringBuilder(160).append("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status()))
                    .append("\r\nContent-Type: ").append(r.contentType()).append("\r\nContent-Length: ").append(r.body().length);
            r.headers().forEach((k, v) -> h.append("\r\n").append(k).append(": ").append(v));
            if (!keepAlive) h.append("\r\nConnection: close");
            byte[] head = h.append("\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
            writingSince = System.nanoTime();
            try {
                if (r.body().length <= 64 << 10) { // one write, one segment: the client reads the whole answer at once
                    byte[] all = java.util.Arrays.copyOf(head, head.length + r.body().length);
                    System.arraycopy(r.body(), 0, all, head.length, r.body().length);
                    out.write(all);
                } else {
                    out.write(head);
                    out.write(r.body());
                }
                out.flush();
            } finally {
                writingSince = 0;
            }
            bytesOut.add(head.length + r.body().length);
        }
    }

    private static final String BUSY = "the weights server is at its memory bound; retry later";

    private static Map<String, Object> parameters(Map<String, Object> o) {
        return o.get("parameters") == null ? Map.of() : Json.object(o.get("parameters"), "parameters");
    }

    private static int status(Throwable e) {
        if (e instanceof ProtocolException p) {
            return switch (p.code()) {
                case TOO_LARGE -> 413;
                case BUSY -> 503;
                case SERVER_ERROR -> 500;
                case TIMEOUT -> 408;
                default -> 400;
            };
        }
        return 400;
    }

    private Reply ok(String json) {
        return new Reply(200, "application/json", Map.of(), json.getBytes(StandardCharsets.UTF_8));
    }

    private static Reply error(int status, String message) {
        return new Reply(status, "application/json", Map.of(), ("{\"error\":" + Json.quote(message == null ? "error" : message) + "}")
                .getBytes(StandardCharsets.UTF_8));
    }

    private String serverMetadata() {
        return "{\"name\":\"veil\",\"version\":\"0.1.0\",\"extensions\":[\"binary_tensor_data\"]}";
    }

    private String modelMetadata(Oip.Model m) {
        var p = m.matrix().projection();
        String type = m.datatype();
        var out = new StringBuilder("{\"name\":").append(Json.quote(m.name())).append(",\"versions\":[\"1\"],\"platform\":\"veil\",")
                .append("\"inputs\":[{\"name\":\"input\",\"datatype\":\"").append(type).append("\",\"shape\":[-1,").append(dims.inDim(p))
                .append("]}],\"outputs\":[{\"name\":\"output\",\"datatype\":\"").append(type).append("\",\"shape\":[-1,")
                .append(dims.outDim(p)).append("]}");
        if (m.ring() != null) out.append(",{\"name\":\"row_scales\",\"datatype\":\"FP32\",\"shape\":[").append(dims.outDim(p)).append("]}");
        return out.append("]}").toString();
    }

    private static void writeSimple(OutputStream out, int status, String message) throws IOException {
        byte[] body = ("{\"error\":" + Json.quote(message) + "}").getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " " + reason(status) + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Conn c : connections) closeQuietly(c.socket);
    }
}
