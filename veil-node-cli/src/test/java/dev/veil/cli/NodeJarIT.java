package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.engine.Shared;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.keys.Role;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.protocol.transport.TestPki;
import dev.veil.protocol.transport.Tls;
import dev.veil.trust.AttestationPolicy;
import dev.veil.trust.AttestationVerifier;
import dev.veil.trust.AttestedService;
import dev.veil.trust.CodeMeasurement;
import dev.veil.trust.EvidenceJson;
import dev.veil.trust.SnpReport;
import dev.veil.weights.WeightsServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * veil-node.jar as built: only the node's code is in it (a forbidden package or any native library or model fails the
 * build), and it runs on its own, so that a class it lacks fails here rather than on the attested machine.
 */
class NodeJarIT {
    static final Path JAR = Path.of("target", "veil-node.jar").toAbsolutePath();
    static final String ID = "stories260K.bin";
    /**
     * What the node must never carry: the attack lab, the weights server, keys, experiments, benches (veil-bench's
     * {@code veil bench} too), native code, models;
     * and Jackson's object mapper (the service reads and writes JSON with jackson-core's streaming API); the weights server's
     * OIP gRPC port and its stack (gRPC, protobuf, Guava, Netty shaded or not): the node speaks OIP over REST (docs/oip.md).
     */
    static final List<String> FORBIDDEN = List.of("dev/veil/attack/", "dev/veil/weights/", "dev/veil/experiments/", "dev/veil/bench/",
            "dev/veil/cli/BenchCommand", "dev/veil/keys/", "org/bouncycastle/", "ai/onnxruntime/", "com/fasterxml/jackson/databind/",
            "dev/veil/grpc/", "io/grpc/", "com/google/protobuf/", "com/google/common/", "io/netty/");
    static final Pattern NATIVE_OR_MODEL = Pattern.compile(".*\\.(so|dll|dylib|jnilib|onnx|gguf|bin|safetensors|pt|npy)$|"
            + ".*\\.so\\.\\d.*|.*tokenizer\\.json$");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    @Test
    void holdsOnlyTheNode() throws IOException {
        List<String> names;
        try (var zip = new ZipFile(JAR.toFile())) {
            names = zip.stream().map(e -> e.getName()).toList();
        }
        int entries = names.size();
        List<String> found = names.stream().filter(n -> FORBIDDEN.stream().anyMatch(n::startsWith)
                || NATIVE_OR_MODEL.matcher(n.toLowerCase(Locale.ROOT)).matches()).toList();
        long size = Files.size(JAR);
        System.out.printf(Locale.ROOT, "veil-node.jar: %d bytes (%.2f MB), %d entries%n", size, size / 1e6, entries);
        assertTrue(found.isEmpty(), "not the node's: " + found);
        assertTrue(entries > 100 && size < 2_000_000, "veil-node.jar: " + size + " bytes, " + entries + " entries");
    }

    /**
     * The SBOM (written at package time by an online build; an offline one skips it, and a file older than the jar is
     * another build's) names exactly the libraries in the jar, each with its SHA-256.
     */
    @Test
    void itsSbomNamesEveryLibraryInItWithItsHash() throws IOException {
        Path sbom = JAR.resolveSibling("veil-node.sbom.json");
        assumeTrue(Files.exists(sbom) && Files.getLastModifiedTime(sbom).compareTo(Files.getLastModifiedTime(JAR)) >= 0,
                "no SBOM from this build (an offline build skips CycloneDX)");
        Set<String> inJar = new TreeSet<>(Set.of("info.picocli:picocli")); // picocli's jar carries no pom.properties
        try (var zip = new ZipFile(JAR.toFile())) {
            zip.stream().map(e -> e.getName().split("/")).filter(n -> n.length == 5 && n[0].equals("META-INF") && n[1].equals("maven")
                    && n[4].equals("pom.properties") && !n[3].equals("veil-node-cli")).forEach(n -> inJar.add(n[2] + ":" + n[3]));
        }
        Set<String> listed = new TreeSet<>();
        for (JsonNode c : JSON.readTree(sbom.toFile()).get("components")) {
            String id = c.get("group").asText() + ":" + c.get("name").asText();
            listed.add(id);
            boolean sha256 = false;
            for (JsonNode h : c.path("hashes")) {
                sha256 |= h.get("alg").asText().equals("SHA-256") && h.get("content").asText().length() == 64;
            }
            assertTrue(sha256, id + " has no SHA-256 in the SBOM");
        }
        assertEquals(inJar, listed);
    }

    @Test
    @Timeout(60)
    void printsItsHelp() throws Exception {
        Run help = Run.of(List.of("--help"), dir.resolve("help.log"));
        assertEquals(0, help.code(), help.err());
        for (String command : List.of("serve", "node", "measure")) assertTrue(help.out().contains("  " + command + " "), help.out());
    }

    @Test
    @Timeout(60)
    void refusesTheInProcessDemoInOneLine() throws Exception {
        Run serve = Run.of(List.of("serve", "--model", Shared.storiesBin().toString(), "--port", "0"), dir.resolve("serve.log"));
        assertEquals(1, serve.code(), serve.err());
        assertTrue(serve.err().contains("veil: the trusted node jar serves remote weights servers only: give --weights-server"),
                serve.err());
        assertFalse(serve.err().contains("Exception") || serve.err().contains("\tat "), serve.err());
    }

    /**
     * The node jar serves over mutual TLS against a weights server that admits only the measurement {@code measure}
     * printed; {@code /v1/attestation} reports that same measurement, and a client computes it from the jar alone.
     */
    @Test
    @Timeout(300)
    void servesAgainstAWeightsServerThatAdmitsTheMeasurementItPrints() throws Exception {
        Run measure = Run.of(List.of("measure"), dir.resolve("measure.log"));
        assertEquals(0, measure.code(), measure.err());
        byte[] measurement = HexFormat.of().parseHex(measure.out().strip());
        assertArrayEquals(CodeMeasurement.of(List.of(JAR)), measurement, "what a client computes from the jar");

        var pki = new TestPki(dir.resolve("keys"));
        Path nodeDir = pki.role(Role.NODE), proxyDir = pki.role(Role.PROXY);
        Model m = ModelLoader.load(Shared.storiesBin(), null);
        var verifier = new AttestationVerifier(AttestationPolicy.of(List.of(measurement)), true);
        try (var weights = new WeightsServer(ID, m.config(), m.linear(), m.node(), null);
             var tcp = TcpServer.start(new AttestedService(weights, verifier, Clock.systemUTC(), line -> {}), "127.0.0.1", 0,
                     pki.context(Role.WEIGHTS_SERVER, Role.NODE), ServerLimits.defaults(), line -> {})) {
            Path log = dir.resolve("serve.log");
            var pb = command(List.of("serve", "--model", Shared.storiesBin().toString(), "--weights-server", "127.0.0.1:" + tcp.port(),
                    "--scheme", "remo", "--tls-dir", nodeDir.toString(), "--attestation", "simulated", "--port", "0"));
            pb.environment().put("VEIL_TLS_PASSWORD", new String(TestPki.PASSWORD));
            Process serve = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                int port = Integer.parseInt(await(serve, log, Pattern.compile("veil serve: ready on https://127\\.0\\.0\\.1:(\\d+) ")));
                var tls = Tls.context(proxyDir, TestPki.PASSWORD, "node");
                try (var http = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).build()) {
                    String base = "https://localhost:" + port, nonce = "ab".repeat(32);
                    var attestation = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/attestation?nonce=" + nonce)).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    assertEquals(200, attestation.statusCode(), new String(attestation.body(), StandardCharsets.UTF_8));
                    var evidence = EvidenceJson.read(attestation.body());
                    assertArrayEquals(measurement, SnpReport.parse(evidence.report()).measurement(), "/v1/attestation's measurement");

                    String body = "{\"model\": \"" + ID + "\", \"prompt\": \"Lily\", \"temperature\": 0, \"max_tokens\": 8}";
                    var answer = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, answer.statusCode(), answer.body());
                    JsonNode j = JSON.readTree(answer.body());
                    assertFalse(j.at("/choices/0/text").asText().isEmpty(), answer.body());
                    assertEquals("remo", j.at("/veil/scheme").asText(), answer.body());
                    assertTrue(j.at("/veil/weights_server_calls").asLong() > 0, answer.body());
                }
            } finally {
                serve.destroy();
                serve.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** {@code java -jar veil-node.jar ARGS}, as the node is run. */
    static ProcessBuilder command(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-jar", JAR.toString()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd);
    }

    /** The first group of {@code line} once {@code p}'s log has it; fails with the log if {@code p} ends first. */
    static String await(Process p, Path log, Pattern line) throws IOException, InterruptedException {
        for (long deadline = System.nanoTime() + 120_000_000_000L; System.nanoTime() < deadline; Thread.sleep(50)) {
            Matcher m = line.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (m.find()) return m.group(1);
            if (!p.isAlive()) throw new AssertionError("veil-node.jar ended: " + Files.readString(log, StandardCharsets.UTF_8));
        }
        throw new AssertionError("veil-node.jar was not ready in 120 s: " + Files.readString(log, StandardCharsets.UTF_8));
    }

    /** One run to its end: exit code, stdout, stderr (a file, so nothing is lost when the process ends). */
    record Run(int code, String out, String err) {
        static Run of(List<String> args, Path errLog) throws IOException, InterruptedException {
            Process p = command(args).redirectError(errLog.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "veil-node.jar " + args + " did not end");
            return new Run(p.exitValue(), out, Files.readString(errLog, StandardCharsets.UTF_8));
        }
    }
}
