package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.net.httpserver.Headers;
import dev.veil.engine.Shared;
import dev.veil.engine.model.Model;
import dev.veil.node.Schemes;
import dev.veil.node.TrustedNode;
import dev.veil.weights.InProcessWeightsServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a client sends to /v1/completions and /v1/chat/completions, whatever it is: its headers (Authorization,
 * Content-Length, any other) and its body are read and checked by the service's own code ({@link VeilService#check})
 * into a request, or refused with the service's own 4xx error; never another exception. An input is an HTTP
 * request's head and body: a first line naming the endpoint ("chat" or "completions"), header lines, a blank line,
 * the body. Without JAZZER_FUZZ=1 the committed corpus (src/test/resources/.../ApiFuzzTestInputs) replays; see
 * docs/hardening.md.
 */
class ApiFuzzTest {
    static final String KEY = "fuzz-key-0123456789abcdef";
    private static VeilService service;

    static synchronized VeilService service() {
        if (service != null) return service;
        try {
            Model m = TestService.model();
            System.setProperty("veil.shared", Shared.root().toString()); // CMIF's token-frequency corpus
            Map<String, TrustedNode> nodes = new LinkedHashMap<>();
            for (String s : List.of("plain", "cmif")) {
                var scheme = Schemes.create(s);
                List<dev.veil.protocol.transport.Channel> servers = new java.util.ArrayList<>();
                for (int i = 0; i < scheme.servers(); i++) servers.add(new InProcessWeightsServer(m, TestService.ID, null));
                nodes.put(s, scheme.open(m, TestService.ID, servers));
            }
            Path keys = Files.createTempFile("veil-fuzz", ".keys");
            keys.toFile().deleteOnExit();
            Files.writeString(keys, KEY + "\n");
            var budget = new dev.veil.node.cmif.PrivacyBudget(10);
            service = new VeilService(new VeilService.Config(m, TestService.ID, nodes, ApiKeys.read(keys), 4, 16, 20, budget, 1 << 16,
                    null));
            return service;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "3m")
    void completionRequest(byte[] input) throws IOException {
        int end = indexOf(input, "\n\n");
        String head = new String(input, 0, end < 0 ? input.length : end, StandardCharsets.UTF_8);
        byte[] body = end < 0 ? new byte[0] : java.util.Arrays.copyOfRange(input, end + 2, input.length);
        String[] lines = head.split("\n", -1);
        boolean chat = lines[0].strip().equals("chat");
        var headers = new Headers();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) continue;
            try {
                headers.add(lines[i].substring(0, colon), lines[i].substring(colon + 1).strip());
            } catch (IllegalArgumentException e) {
                return; // a character no header may hold: Headers refuses it, so no handler ever sees such a request
            }
        }
        try {
            service().check(headers, new ByteArrayInputStream(body), chat);
        } catch (ApiError e) {
            assertTrue(e.status >= 400 && e.status < 500, "status " + e.status + ": " + e.getMessage());
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "an error without a message");
        }
    }

    private static int indexOf(byte[] a, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + b.length <= a.length; i++) {
            for (int j = 0; j < b.length; j++) if (a[i + j] != b[j]) continue outer;
            return i;
        }
        return -1;
    }
}
