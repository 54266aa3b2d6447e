package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.veil.engine.Eventually;
import dev.veil.engine.Shared;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol both ways, as processes: `veil weights-server --oip-http-port` and `veil generate` with
 * {@code --weights-server oip://} (and {@code oips://} over mutual TLS), each scheme printing what plain prints; curl
 * (a client that is not Veil's) on the same port; and the one-line refusals of what the protocol cannot carry.
 */
@Timeout(300)
class OipProcessesTest {
    static final Pattern OIP = Pattern.compile("Open Inference Protocol v2 on https?://(\\S+)/v2");
    static final String PROMPT = "Lily and Ben";

    static String oipAddress(WeightsServerProcess server) {
        String[] found = new String[1];
        Eventually.until("the weights server names its OIP port", () -> {
            try {
                Matcher m = OIP.matcher(String.join("\n", server.lines()));
                if (m.find()) found[0] = m.group(1);
                return found[0] != null;
            } catch (IOException e) {
                return false;
            }
        });
        return found[0];
    }

    static String generate(String scheme, String... more) {
        var args = new ArrayList<>(List.of("generate", "--model", Shared.storiesBin().toString(), "--scheme", scheme, "--prompt", PROMPT,
                "--max-tokens", "30"));
        args.addAll(List.of(more));
        var run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.code(), run.err());
        return run.out();
    }

    @Test
    void everySchemeOverOipPrintsWhatPlainPrintsAndCurlIsServedOnTheSamePort(@TempDir Path dir) throws Exception {
        String model = Shared.storiesBin().toString();
        var server = WeightsServerProcess.start(TalariaProcessesTest.veil("weights-server", "--model", model, "--port", "0",
                "--oip-http-port", "0"), dir.resolve("server.log"));
        try {
            String veil = server.address(), oip = "oip://" + oipAddress(server);
            String plain = generate("plain");
            assertTrue(plain.strip().length() > 20, plain);
            assertEquals(plain, generate("remo", "--numeric", "exact", "--weights-server", veil), "remo over Veil's protocol");
            assertEquals(plain, generate("remo", "--numeric", "exact", "--weights-server", oip), "remo (exact) over OIP");
            assertEquals(plain, generate("remo", "--weights-server", oip), "remo (float) over OIP");
            assertEquals(plain, generate("remo-otp", "--weights-server", oip), "remo-otp over OIP");
            assertEquals(plain, generate("shares", "--weights-server", oip, "--weights-server-b", oip), "shares over OIP");
            // replicas as today: a dead OIP replica first, the call moves on to the live one
            assertEquals(plain, generate("remo", "--numeric", "exact", "--weights-server", "oip://127.0.0.1:1," + oip), "failover");
            curl(oipAddress(server), dir);
        } finally {
            server.process().destroy();
            assertTrue(server.process().waitFor(30, TimeUnit.SECONDS));
        }
    }

    /** curl, a client that is not Veil's, on the same port: health, metadata, JSON and binary inference, a refusal. */
    static void curl(String hostPort, Path dir) throws Exception {
        assumeTrue(hasCurl(), "curl is not on this machine");
        String base = "http://" + hostPort;
        assertEquals("200 {\"ready\":true}", curlRun(base + "/v2/health/ready"));
        var meta = curlRun(base + "/v2/models/blk.4.attn_output.z32");
        assertTrue(meta.startsWith("200 ") && meta.contains("\"datatype\":\"INT32\",\"shape\":[-1,64]"), meta);
        String json = "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":[" + "0.5,".repeat(63) + "0.5]}]}";
        var reply = curlRun(base + "/v2/models/output/infer", "-H", "Content-Type: application/json", "--data-binary", json);
        assertTrue(reply.startsWith("200 {\"model_name\":\"output\"") && reply.contains("\"shape\":[1,512]"), reply);
        // binary: INT64 in, INT64 and the row scales out
        byte[] header = ("{\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],\"datatype\":\"INT64\","
                + "\"parameters\":{\"binary_data_size\":512}}],"
                + "\"outputs\":[{\"name\":\"output\",\"parameters\":{\"binary_data\":true}},{\"name\":\"row_scales\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        var body = ByteBuffer.allocate(header.length + 512).order(ByteOrder.LITTLE_ENDIAN).put(header);
        for (int i = 0; i < 64; i++) body.putLong(1L << 16);
        Path in = dir.resolve("body.bin"), out = dir.resolve("out.bin");
        Files.write(in, body.array());
        var p = new ProcessBuilder("curl", "-s", "-o", out.toString(), "-D", "-", "-H", "Inference-Header-Content-Length: " + header.length,
                "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + in, base + "/v2/models/output.z64/infer")
                .redirectErrorStream(true).start();
        String head = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(head.startsWith("HTTP/1.1 200"), head);
        Matcher m = Pattern.compile("Inference-Header-Content-Length: (\\d+)").matcher(head);
        assertTrue(m.find(), head);
        byte[] got = Files.readAllBytes(out);
        int jsonLength = Integer.parseInt(m.group(1));
        String replyHead = new String(got, 0, jsonLength, StandardCharsets.UTF_8);
        assertTrue(replyHead.contains("\"binary_data_size\":4096") && replyHead.contains("\"name\":\"row_scales\""), replyHead);
        assertEquals(jsonLength + 4096, got.length, "the binary output follows the JSON; the row scales, not asked as binary, are in it");
        // a refusal: the protocol's status and a JSON error
        var wrong = curlRun(base + "/v2/models/output/infer", "--data-binary", "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,3],"
                + "\"datatype\":\"FP32\",\"data\":[1,2,3]}]}");
        assertEquals("400 {\"error\":\"model 'output' takes an input of shape [rows, 64], got [1, 3]\"}", wrong);
    }

    static boolean hasCurl() {
        try {
            return new ProcessBuilder("curl", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** "STATUS BODY" of one curl request. */
    static String curlRun(String url, String... args) throws Exception {
        var cmd = new ArrayList<>(List.of("curl", "-s", "-w", "\n%{http_code}"));
        cmd.addAll(List.of(args));
        cmd.add(url);
        var p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        int nl = text.lastIndexOf('\n');
        return text.substring(nl + 1) + " " + text.substring(0, nl);
    }

    @Test
    void overMutualTlsOnlyANodeCertificateIsServed(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys");
        var made = CliRun.of("keys", "--out", keys.toString());
        assertEquals(0, made.code(), made.err());
        String model = Shared.storiesBin().toString();
        var server = WeightsServerProcess.start(TalariaProcessesTest.veil("weights-server", "--model", model, "--port", "0",
                "--oip-http-port", "0", "--tls-dir", keys.resolve("weights-server").toString(), "--no-attestation"),
                dir.resolve("server.log"));
        try {
            String hostPort = oipAddress(server);
            assertTrue(String.join("\n", server.lines()).contains("on https://" + hostPort + "/v2 (no attestation: mutual TLS"),
                    String.join("\n", server.lines()));
            String plain = generate("plain");
            assertEquals(plain, generate("remo", "--numeric", "exact", "--weights-server", "oips://" + hostPort, "--tls-dir",
                    keys.resolve("node").toString()));
            // the proxy's certificate is not a node's: refused at the handshake
            var proxy = CliRun.of("generate", "--model", model, "--scheme", "remo", "--prompt", PROMPT, "--max-tokens", "2",
                    "--weights-server", "oips://" + hostPort, "--tls-dir", keys.resolve("proxy").toString());
            assertEquals(1, proxy.code(), proxy.err());
            if (hasCurl()) { // no client certificate: no HTTP at all
                var p = new ProcessBuilder("curl", "-s", "-k", "-o", "/dev/null", "-w", "%{http_code}",
                        "https://" + hostPort + "/v2/health/ready").redirectErrorStream(true).start();
                String code = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals("000", code);
            }
        } finally {
            server.process().destroy();
            assertTrue(server.process().waitFor(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void whatTheProtocolCannotCarryIsRefusedInOneLine(@TempDir Path dir) {
        String model = Shared.storiesBin().toString();
        Path nodeKeys = dir.resolve("keys");
        assertEquals(0, CliRun.of("keys", "--out", nodeKeys.toString()).code());
        String[][] cases = {
            {"cmif runs its decoder stack on the weights server, which the Open Inference Protocol cannot carry",
                "generate", "--model", model, "--scheme", "cmif", "--weights-server", "oip://127.0.0.1:9"},
            {"--attestation cannot be presented to oip://127.0.0.1:9: the Open Inference Protocol has no attestation",
                "generate", "--model", model, "--scheme", "remo", "--weights-server", "oip://127.0.0.1:9", "--attestation", "simulated"},
            {"oips://127.0.0.1:9 is HTTPS over mutual TLS: give --tls-dir DIR",
                "generate", "--model", model, "--scheme", "remo", "--weights-server", "oips://127.0.0.1:9"},
            {"oip://127.0.0.1:9 is plaintext HTTP: with --tls-dir, use oips://127.0.0.1:9",
                "generate", "--model", model, "--scheme", "remo", "--weights-server", "oip://127.0.0.1:9", "--tls-dir",
                nodeKeys.resolve("node").toString()},
            {"--weights-server must be oip://HOST:PORT or oips://HOST:PORT, got 'oip://nohost'",
                "generate", "--model", model, "--scheme", "remo", "--weights-server", "oip://nohost"},
            {"192.0.2.1 is not a loopback address",
                "generate", "--model", model, "--scheme", "remo", "--weights-server", "oip://192.0.2.1:7070"},
            {"--oip-http-port cannot check attestation",
                "weights-server", "--model", model, "--port", "0", "--oip-http-port", "0", "--tls-dir",
                nodeKeys.resolve("weights-server").toString(), "--attestation-policy", dir.resolve("policy").toString()},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            if (c[1].equals("weights-server")) {
                try {
                    Files.writeString(dir.resolve("policy"), "measurement = "
                            + java.util.HexFormat.of().formatHex(dev.veil.trust.CodeMeasurement.ofClassPath()) + "\n");
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            } else {
                args = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--prompt", "x"))
                        .toArray(String[]::new);
            }
            var run = CliRun.of(args);
            assertEquals(1, run.code(), String.join(" ", args) + ": " + run.err());
            String last = run.err().strip().lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.startsWith("veil: ") && last.contains(c[0]), String.join(" ", args) + ": " + run.err());
        }
    }
}
