package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.engine.Shared;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@code veil serve}: a greedy completion through the API is exactly what {@code veil generate}
 * prints for the same prompt and options (without its final newline), for every scheme; both run as processes.
 */
class ServeContractTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PROMPT = "Once upon a time, Tom";
    static final int K = 30;

    @Test
    @Timeout(300)
    void defaultsServeWhatGeneratePrints() throws Exception {
        String model = Shared.storiesBin().toString();
        try (var serve = Serve.start("serve", "--model", model, "--port", "0", "--allowed-host", "veil.test",
                "--allowed-host", "veil.example:9443")) {
            assertTrue(serve.ready.contains("default remo-otp") && serve.ready.contains("in this process")
                    && serve.ready.contains("loopback only"),
                    serve.ready);
            int port = Integer.parseInt(serve.base.substring(serve.base.lastIndexOf(':') + 1));
            for (String host : List.of("127.0.0.1:" + port, "localhost:" + port, "veil.test:" + port, "veil.example:9443")) {
                assertEquals(200, hostStatus(new Socket(InetAddress.getLoopbackAddress(), port), host), host);
            }
            for (String host : List.of("rebound.test:" + port, "veil.test:9443", "veil.example:" + port)) {
                assertEquals(421, hostStatus(new Socket(InetAddress.getLoopbackAddress(), port), host), host);
            }
            var models = JSON.readTree(serve.get("/v1/models"));
            String id = models.at("/data/0/id").asText();
            assertEquals("stories260K.bin", id);
            assertEquals(generate(model), serve.complete(id, null));
        }
    }

    @Test
    @Timeout(300)
    void everySchemeServesWhatGeneratePrints() throws Exception {
        String model = Shared.storiesBin().toString();
        // CMIF sanitizes with fresh randomness in each process: ε = inf (no sanitizing) makes both sides deterministic.
        try (var serve = Serve.start("serve", "--model", model, "--port", "0", "--scheme", "plain", "--schemes", "remo,remo-otp,cmif",
                "--epsilon", "inf", "--privacy-budget", "inf")) { // unsanitized prompts spend ∞: no finite budget admits them
            for (String scheme : List.of("plain", "remo", "remo-otp", "cmif")) {
                String expected = scheme.equals("cmif") ? generate(model, "--scheme", "cmif", "--epsilon", "inf") : generate(model,
                        "--scheme", scheme);
                assertEquals(expected, serve.complete("stories260K.bin", scheme), scheme);
            }
        }
    }

    @Test
    void badOptionsAreOneLineErrors() throws Exception {
        String model = Shared.storiesBin().toString();
        var open = CliRun.of("serve", "--model", model, "--host", "0.0.0.0");
        assertEquals(1, open.code());
        assertTrue(open.err().contains("not a loopback address: give --tls-dir DIR"), open.err());
        var unknown = CliRun.of("serve", "--model", model, "--schemes", "plain,nosuch");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("unknown scheme 'nosuch'"), unknown.err());
        var unused = CliRun.of("serve", "--model", model, "--scheme", "plain", "--schemes", "remo", "--epsilon", "2");
        assertEquals(1, unused.code());
        assertTrue(unused.err().contains("--epsilon applies to none of the offered schemes"), unused.err());
        assertTrue(!open.err().contains("\tat ") && !unknown.err().contains("\tat ") && !unused.err().contains("\tat "));
    }

    /**
     * The status of {@code GET /v1/models} over {@code s} (then closed) with {@code host} in its Host header, which
     * java.net.http will not send: whether the listener answers to that name (issue 22).
     */
    static int hostStatus(Socket s, String host) throws Exception {
        try (s) {
            s.getOutputStream().write(("GET /v1/models HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    /**
     * The veil command as a process, finding the shared data (CMIF's corpus) as ./veil does, with a state directory of
     * its own (serve's privacy ledger: never the user's).
     */
    static ProcessBuilder veil(String... args) {
        var pb = TalariaProcessesTest.veil(args);
        pb.environment().put("VEIL_SHARED", Shared.root().toAbsolutePath().toString());
        try {
            Path target = Files.createDirectories(Path.of("target").toAbsolutePath()); // the build's own, cleaned with it
            pb.environment().put("VEIL_STATE", Files.createTempDirectory(target, "veil-state").toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return pb;
    }

    /** What {@code veil generate} prints on stdout, without the final newline. */
    static String generate(String model, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("generate", "--model", model, "--prompt", PROMPT, "--temperature", "0",
                "--max-tokens", "" + K));
        args.addAll(List.of(extra));
        Process p = veil(args.toArray(String[]::new)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertTrue(out.endsWith("\n"));
        return out.substring(0, out.length() - 1);
    }

    /** A {@code veil serve} process, ready. */
    record Serve(Process process, String ready, String base) implements AutoCloseable {
        static final Pattern READY = Pattern.compile("veil serve: ready on (http://127\\.0\\.0\\.1:\\d+) ");

        static Serve start(String... args) throws Exception {
            return start(veil(args));
        }

        /** {@code serve} as {@code pb} runs it, ready; {@link #ready} holds what it said up to its ready line. */
        static Serve start(ProcessBuilder pb) throws Exception {
            Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            var err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            var seen = new StringBuilder();
            for (String line; (line = err.readLine()) != null; ) {
                seen.append(line).append('\n');
                Matcher m = READY.matcher(line);
                if (m.find()) {
                    Thread.ofVirtual().start(() -> err.lines().forEach(l -> {})); // keep draining its log
                    return new Serve(p, seen.toString(), m.group(1));
                }
            }
            p.destroyForcibly();
            throw new AssertionError("veil serve ended before it was ready:\n" + seen);
        }

        String get(String path) throws Exception {
            try (var http = HttpClient.newHttpClient()) {
                return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
            }
        }

        /** choices[0].text of a greedy completion of PROMPT, K tokens, in {@code scheme} (null: the default). */
        String complete(String id, String scheme) throws Exception {
            var body = JSON.createObjectNode().put("model", id).put("prompt", PROMPT).put("temperature", 0).put("max_tokens", K);
            if (scheme != null) body.putObject("veil").put("scheme", scheme);
            try (var http = HttpClient.newHttpClient()) {
                var r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                var j = JSON.readTree(r.body());
                assertEquals(scheme != null ? scheme : "remo-otp", j.at("/veil/scheme").asText());
                return j.at("/choices/0/text").asText();
            }
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }
}
