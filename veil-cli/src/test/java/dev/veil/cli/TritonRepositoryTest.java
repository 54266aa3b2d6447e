package dev.veil.cli;

import static dev.veil.cli.TalariaProcessesTest.veil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.veil.engine.Shared;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An exported repository serves exactly what the node asks for over {@code oip://}, checked as Triton would check it:
 * `veil export --format triton` in every numeric mode; `veil weights-server --engine onnxruntime` on those repositories
 * with its OIP port; `veil generate --weights-server oip://` as processes (remo-otp, remo exact, remo z32, remo float),
 * through a proxy that records every HTTP exchange. Every request must name a model of the exported repository (a folder
 * whose config.pbtxt, read with Triton's own schema, has that name), and its inputs, datatypes, shapes and requested
 * outputs must be what that config declares, with Triton's rules for the batch dimension; every model's metadata the
 * node accepted must be what Triton derives from the config; every answer's outputs must fit the config; and each ONNX
 * file must have the config's tensors (what Triton's ONNX Runtime backend checks under a strict model config). Each
 * generate prints what plain prints.
 */
@Timeout(600)
class TritonRepositoryTest {
    static final String PROMPT = "Lily and Ben";
    static final Path SCHEMA = Path.of("..", "veil-onnx", "src", "test", "resources", "triton", "model_config.desc");
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyRequestOfTheNodeIsServedByTheExportedRepositoryAsTritonWouldServeIt(@TempDir Path dir) throws Exception {
        String model = Shared.storiesBin().toString();
        Map<String, Message> configs = new TreeMap<>();
        List<String> repositories = new ArrayList<>();
        for (String numeric : List.of("exact", "z32", "float")) {
            Path repo = dir.resolve(numeric);
            var export = CliRun.of("export", "--model", model, "--numeric", numeric, "--format", "triton", "--out", repo.toString());
            assertEquals(0, export.code(), export.err());
            configs.putAll(repository(repo));
            repositories.addAll(List.of("--repository", repo.toString()));
        }
        assertEquals(63, configs.size(), "21 models in each of three modes, no name twice");

        var args = new ArrayList<>(List.of("weights-server", "--engine", "onnxruntime", "--port", "0", "--oip-http-port", "0"));
        args.addAll(repositories);
        var server = WeightsServerProcess.start(veil(args.toArray(String[]::new)), dir.resolve("server.log"));
        try (var proxy = new RecordingProxy(OipProcessesTest.oipAddress(server))) {
            String oip = "oip://127.0.0.1:" + proxy.port(), exact = generate(dir, "plain", "--numeric", "exact");
            assertEquals(exact, generate(dir, "remo-otp", "--weights-server", oip), "remo-otp");
            assertEquals(exact, generate(dir, "remo", "--numeric", "exact", "--weights-server", oip), "remo exact");
            assertEquals(generate(dir, "plain", "--numeric", "z32"), generate(dir, "remo", "--numeric", "z32", "--weights-server", oip),
                    "remo z32");
            assertEquals(generate(dir, "plain"), generate(dir, "remo", "--weights-server", oip), "remo float (float16 weights)");

            var asked = new TreeSet<String>();
            var scales = new TreeSet<String>();
            int infers = 0;
            for (Exchange e : proxy.exchanges) {
                String name = asTriton(e, configs);
                if (name != null) asked.add(name);
                if (e.path.endsWith("/infer")) infers++;
                if (e.path.endsWith("/infer") && new String(e.body, StandardCharsets.UTF_8).contains("\"row_scales\"")) scales.add(name);
            }
            assertEquals(configs.keySet(), asked, "the node asked for every exported model, and for none other");
            assertTrue(infers > 1000, infers + " infer calls");
            // remo's setup calls ask every ring model for its row scales
            assertEquals(configs.keySet().stream().filter(n -> n.endsWith(".z64") || n.endsWith(".z32")).collect(Collectors.toSet()),
                    scales);
        } finally {
            server.process().destroy();
            assertTrue(server.process().waitFor(30, TimeUnit.SECONDS));
        }
    }

    /** {@code veil generate} as a process (plain in this JVM: it calls no server): its stdout, after checking it succeeded. */
    static String generate(Path dir, String scheme, String... more) throws Exception {
        var args = new ArrayList<>(List.of("generate", "--model", Shared.storiesBin().toString(), "--scheme", scheme, "--prompt", PROMPT,
                "--max-tokens", "20", "--temperature", "0"));
        args.addAll(List.of(more));
        if (scheme.equals("plain")) {
            var run = CliRun.of(args.toArray(String[]::new));
            assertEquals(0, run.code(), run.err());
            return run.out();
        }
        Path out = Files.createTempFile(dir, "generate", ".out"), err = Files.createTempFile(dir, "generate", ".err");
        Process p = veil(args.toArray(String[]::new)).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "generate " + scheme + " ended");
        assertEquals(0, p.exitValue(), scheme + ": " + Files.readString(err));
        String text = Files.readString(out);
        assertTrue(text.strip().length() > 20, text);
        return text;
    }

    /** Triton's schema: ModelConfig of the vendored model_config.proto (veil-onnx's tests hold it). */
    static Descriptor schema() throws Exception {
        var set = FileDescriptorSet.parseFrom(Files.readAllBytes(SCHEMA));
        return FileDescriptor.buildFrom(set.getFile(0), new FileDescriptor[0]).findMessageTypeByName("ModelConfig");
    }

    /** The models of a repository as Triton finds them: folders with a config.pbtxt (strictly parsed) and a version 1. */
    static Map<String, Message> repository(Path repo) throws Exception {
        Descriptor schema = schema();
        Map<String, Message> models = new HashMap<>();
        try (Stream<Path> dirs = Files.list(repo)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                var b = DynamicMessage.newBuilder(schema);
                TextFormat.getParser().merge(Files.readString(d.resolve("config.pbtxt")), b);
                Message c = b.build();
                String name = d.getFileName().toString();
                assertEquals(name, field(c, "name"), "Triton requires a config's name to be its folder's");
                assertEquals("onnxruntime", field(c, "backend"));
                onnxHasTheConfigsTensors(d.resolve("1").resolve("model.onnx"), c);
                models.put(name, c);
            }
        }
        return models;
    }

    /** What Triton's ONNX Runtime backend checks under a strict config: the model's tensors are the config's, type and shape. */
    static void onnxHasTheConfigsTensors(Path onnx, Message config) throws Exception {
        long batch = (int) field(config, "max_batch_size");
        try (var session = OrtEnvironment.getEnvironment().createSession(onnx.toString())) {
            for (var pair : List.of(Map.entry("input", session.getInputInfo()), Map.entry("output", session.getOutputInfo()))) {
                List<Message> declared = tensors(config, pair.getKey());
                assertEquals(declared.stream().map(t -> field(t, "name")).collect(Collectors.toSet()),
                        pair.getValue().keySet(), onnx + ": its " + pair.getKey() + "s");
                for (Message t : declared) {
                    var info = (TensorInfo) pair.getValue().get((String) field(t, "name")).getInfo();
                    assertEquals(triton(t), onnxType(info), onnx + " " + field(t, "name"));
                    List<Long> dims = new ArrayList<>(dims(t));
                    if (batch > 0) dims.addFirst(-1L);
                    assertEquals(dims, Arrays.stream(info.getShape()).boxed().toList(), onnx + " " + field(t, "name") + "'s shape");
                }
            }
        }
    }

    /**
     * Checks one recorded exchange as Triton would answer it from {@code configs}; returns the model it names (null for
     * the server's health). Triton's HTTP endpoints: GET /v2/health/ready, GET /v2/models/M, POST /v2/models/M/infer.
     */
    static String asTriton(Exchange e, Map<String, Message> configs) throws IOException {
        if (e.method.equals("GET") && e.path.equals("/v2/health/ready")) return null;
        var m = java.util.regex.Pattern.compile("/v2/models/([^/]+)(/infer)?").matcher(e.path);
        assertTrue(m.matches(), "an endpoint Triton serves: " + e.method + " " + e.path);
        String name = m.group(1);
        Message config = configs.get(name);
        assertNotNull(config, "the node asks for model '" + name + "', which the exported repository lacks");
        assertEquals(200, e.status, e.path);
        long batch = (int) field(config, "max_batch_size");
        if (m.group(2) == null) { // metadata: what Triton would report is what the node was given and accepted
            assertEquals("GET", e.method);
            JsonNode got = JSON.readTree(e.reply);
            for (String list : List.of("input", "output")) {
                var want = new ArrayList<Map<String, Object>>();
                for (Message t : tensors(config, list)) {
                    List<Long> shape = new ArrayList<>(dims(t));
                    if (batch > 0) shape.addFirst(-1L);
                    want.add(Map.of("name", field(t, "name"), "datatype", triton(t), "shape", shape));
                }
                var have = new ArrayList<Map<String, Object>>();
                for (JsonNode t : got.get(list + "s")) {
                    var shape = new ArrayList<Long>();
                    t.get("shape").forEach(d -> shape.add(d.asLong()));
                    have.add(Map.of("name", t.get("name").asText(), "datatype", t.get("datatype").asText(), "shape", shape));
                }
                assertEquals(want, have, name + "'s " + list + "s: Triton's metadata from the config against what the node accepted");
            }
            return name;
        }
        assertEquals("POST", e.method);
        int headerLength = Integer.parseInt(e.headers.getOrDefault("inference-header-content-length", "" + e.body.length));
        JsonNode request = JSON.readTree(Arrays.copyOf(e.body, headerLength));
        long rows = -1;
        var given = new TreeSet<String>();
        long binary = 0;
        for (JsonNode in : request.get("inputs")) {
            String tensor = in.get("name").asText();
            Message t = tensor(config, "input", tensor);
            assertNotNull(t, name + " has no input '" + tensor + "'");
            assertTrue(given.add(tensor), "input '" + tensor + "' twice");
            assertEquals(triton(t), in.get("datatype").asText(), name + "." + tensor + "'s datatype");
            var shape = new ArrayList<Long>();
            in.get("shape").forEach(d -> shape.add(d.asLong()));
            List<Long> dims = dims(t);
            if (batch > 0) {
                assertTrue(shape.getFirst() >= 1 && shape.getFirst() <= batch, name + ": batch " + shape.getFirst() + " over " + batch);
                shape.removeFirst();
            }
            fits(dims, shape, name + "." + tensor);
            rows = in.get("shape").get(0).asLong();
            long size = in.get("parameters").get("binary_data_size").asLong();
            assertEquals(shape.stream().reduce(1L, Math::multiplyExact) * (batch > 0 ? rows : 1) * bytes(triton(t)), size,
                    name + " binary size");
            binary += size;
        }
        assertEquals(tensors(config, "input").size(), given.size(), name + ": every input of the config given");
        assertEquals(e.body.length - headerLength, binary, name + ": the binary data is the inputs'");
        var asked = new TreeSet<String>();
        for (JsonNode out : request.get("outputs")) {
            String tensor = out.get("name").asText();
            assertNotNull(tensor(config, "output", tensor), name + " has no output '" + tensor + "'");
            asked.add(tensor);
        }
        int replyHeader = Integer.parseInt(e.replyHeaders.getOrDefault("inference-header-content-length", "" + e.reply.length));
        JsonNode reply = JSON.readTree(Arrays.copyOf(e.reply, replyHeader));
        var answered = new TreeSet<String>();
        for (JsonNode out : reply.get("outputs")) {
            String tensor = out.get("name").asText();
            Message t = tensor(config, "output", tensor);
            assertNotNull(t, name + " answered an output the config lacks: " + tensor);
            assertEquals(triton(t), out.get("datatype").asText(), name + "." + tensor + "'s datatype");
            var shape = new ArrayList<Long>();
            out.get("shape").forEach(d -> shape.add(d.asLong()));
            if (batch > 0) assertEquals(rows, (long) shape.removeFirst());
            fits(dims(t), shape, name + "." + tensor);
            if (dims(t).getFirst() == -1) assertEquals(rows, (long) shape.getFirst(), name + "." + tensor + ": one row out per row in");
            answered.add(tensor);
        }
        assertEquals(asked, answered, name + ": the outputs asked for");
        return name;
    }

    /** A shape against a config's dims: the same rank, each dimension equal or the config's -1 (variable). */
    static void fits(List<Long> dims, List<Long> shape, String what) {
        assertEquals(dims.size(), shape.size(), what + ": " + shape + " against the config's " + dims);
        for (int i = 0; i < dims.size(); i++) {
            assertTrue(dims.get(i) == -1 ? shape.get(i) >= 0 : dims.get(i).equals(shape.get(i)), what + ": " + shape + " against " + dims);
        }
    }

    static List<Message> tensors(Message config, String list) {
        return ((List<?>) field(config, list)).stream().map(Message.class::cast).toList();
    }

    static Message tensor(Message config, String list, String name) {
        return tensors(config, list).stream().filter(t -> name.equals(field(t, "name"))).findFirst().orElse(null);
    }

    @SuppressWarnings("unchecked")
    static List<Long> dims(Message tensor) {
        return (List<Long>) field(tensor, "dims");
    }

    /** The protocol's datatype of a config's data_type, as Triton maps them (TYPE_INT64 is INT64). */
    static String triton(Message tensor) {
        return field(tensor, "data_type").toString().substring("TYPE_".length());
    }

    static String onnxType(TensorInfo info) {
        return switch (info.type) {
            case FLOAT -> "FP32";
            case INT64 -> "INT64";
            case INT32 -> "INT32";
            default -> info.type.toString();
        };
    }

    static long bytes(String datatype) {
        return switch (datatype) {
            case "FP32", "INT32" -> 4;
            case "INT64" -> 8;
            default -> throw new AssertionError(datatype);
        };
    }

    static Object field(Message m, String name) {
        return m.getField(m.getDescriptorForType().findFieldByName(name));
    }

    /** One HTTP exchange as it passed: the request's method, path, headers (lower-case names) and body, and the reply's. */
    record Exchange(String method, String path, Map<String, String> headers, byte[] body, int status, Map<String, String> replyHeaders,
            byte[] reply) {}

    /**
     * A plaintext HTTP/1.1 proxy on loopback that forwards each connection to {@code upstream} and records every exchange
     * (Content-Length bodies, as both Veil's client and server send).
     */
    static final class RecordingProxy implements AutoCloseable {
        final ConcurrentLinkedQueue<Exchange> exchanges = new ConcurrentLinkedQueue<>();
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final String upstream;

        RecordingProxy(String upstream) throws IOException {
            this.upstream = upstream;
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket client = socket.accept();
                        Thread.ofVirtual().start(() -> relay(client));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        private void relay(Socket client) {
            int colon = upstream.lastIndexOf(':');
            try (client; var server = new Socket(upstream.substring(0, colon), Integer.parseInt(upstream.substring(colon + 1)))) {
                // Nagle's algorithm would hold each reply's body until the peer's delayed ACK (40 ms a call)
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                var fromClient = new BufferedInputStream(client.getInputStream());
                var fromServer = new BufferedInputStream(server.getInputStream());
                while (true) {
                    var request = HttpMessage.read(fromClient);
                    if (request == null) return;
                    request.write(server.getOutputStream());
                    var reply = HttpMessage.read(fromServer);
                    if (reply == null) return;
                    reply.write(client.getOutputStream());
                    String[] line = request.start.split(" ");
                    exchanges.add(new Exchange(line[0], line[1], request.headers, request.body, Integer.parseInt(reply.start.split(" ")[1]),
                            reply.headers, reply.body));
                }
            } catch (IOException | RuntimeException e) {
                // the peer went: the recorded exchanges stand
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** One HTTP/1.1 message: its start line, headers and Content-Length body; null at the end of the stream. */
    record HttpMessage(String start, String head, Map<String, String> headers, byte[] body) {
        static HttpMessage read(InputStream in) throws IOException {
            var head = new ByteArrayOutputStream();
            int b, matched = 0;
            while (matched < 4 && (b = in.read()) >= 0) {
                head.write(b);
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
            }
            if (matched < 4) return null;
            String text = head.toString(StandardCharsets.ISO_8859_1);
            String[] lines = text.split("\r\n");
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int c = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, c).strip().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).strip());
            }
            byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            return new HttpMessage(lines[0], text, headers, body);
        }

        void write(OutputStream out) throws IOException {
            var message = new ByteArrayOutputStream(head.length() + body.length);
            message.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
            message.writeBytes(body);
            out.write(message.toByteArray()); // one write: one segment train, as the peers send it
            out.flush();
        }
    }
}
