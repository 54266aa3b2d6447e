package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.engine.Eventually;
import dev.veil.protocol.transport.Gate;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys, admission, the per-key privacy budget and cancellation: what bounds a client. */
class LimitsTest {
    static final String KEY = "sk-veil-test-key-0001", OTHER = "sk-veil-test-key-0002";

    @Test
    void requestsNeedAKnownKey(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys");
        Files.writeString(keys, "# clients\n" + KEY + "\n" + OTHER + "\n");
        try (var t = TestService.start(ApiKeys.read(keys), 2, 2, 4, Double.POSITIVE_INFINITY, "plain")) {
            String body = "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily\", \"max_tokens\": 3}";
            var none = t.post("/v1/completions", body);
            assertEquals(401, none.statusCode());
            assertEquals("invalid_api_key", TestService.JSON.readTree(none.body()).at("/error/code").asText());
            assertEquals(401, t.post("/v1/completions", body, "Authorization", "Bearer sk-wrong-key-000000").statusCode());
            assertEquals(401, t.post("/v1/completions", body, "Authorization", KEY).statusCode());
            assertEquals(200, t.post("/v1/completions", body, "Authorization", "Bearer " + OTHER).statusCode());
        }
    }

    /** Found by ApiFuzzTest: Jackson read a body with zero bytes as UTF-32 and failed with an IOException, a 500. */
    @Test
    void aBodyThatIsNotUtf8IsA400() throws Exception {
        try (var t = TestService.start(null, 1, 0, 4, Double.POSITIVE_INFINITY, "plain")) {
            for (byte[] body : new byte[][] {
                    "\0\0\0;{\"model\": \"stories260K.bin\"}".getBytes(StandardCharsets.UTF_8),
                    "{\"model\": \"stories260K.bin\", \"prompt\": \"caf\u00e9\"}".getBytes(StandardCharsets.UTF_16),
                    {'{', '"', (byte) 0xC3, '"', ':', '1', '}'}}) {
                var r = t.post("/v1/completions", body);
                assertEquals(400, r.statusCode(), r.body());
                String message = TestService.JSON.readTree(r.body()).at("/error/message").asText();
                assertTrue(message.equals("The request body must be JSON in UTF-8.")
                        || message.startsWith("We could not parse the JSON body"),
                        message); // NUL is UTF-8: that body is not JSON
            }
            for (byte[] body : new byte[][] {"{\"model\": \"caf\u00e9\"}".getBytes(StandardCharsets.UTF_16), {'{', '"', (byte) 0xC3, '"',
                    '}'}}) {
                var r = t.post("/v1/completions", body);
                assertEquals("The request body must be JSON in UTF-8.", TestService.JSON.readTree(r.body()).at("/error/message").asText());
            }
        }
    }

    /** Found by ApiFuzzTest: a conversation the model's chat format cannot render (no user message last) was a 500. */
    @Test
    void aConversationTheChatFormatRefusesIsA400() throws Exception {
        try (var t = TestService.start(null, 1, 0, 4, Double.POSITIVE_INFINITY, "plain")) {
            for (String messages : new String[] {"[{\"role\": \"system\", \"content\": \"Be kind.\"}]",
                    "[{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]",
                    "[{\"role\": \"assistant\", \"content\": \"Hello\"}, {\"role\": \"user\", \"content\": \"Hi\"}]"}) {
                var r = t.post("/v1/chat/completions", "{\"model\": \"stories260K.bin\", \"messages\": " + messages + "}");
                assertEquals(400, r.statusCode(), r.body());
                var error = TestService.JSON.readTree(r.body()).get("error");
                assertEquals("messages", error.get("param").asText(), r.body());
                assertTrue(error.get("message").asText().startsWith("the Llama 2 chat format"), r.body());
            }
        }
    }

    @Test
    void overloadIs429WithRetryAfter() throws Exception {
        // One session, no queue: while a request runs (held at the gate until the probe is answered), the next is refused.
        var gate = new Gate();
        try (var t = TestService.start(gate, null, 1, 0, 4, Double.POSITIVE_INFINITY, "remo-otp")) {
            gate.holdAfter(0);
            var first = CompletableFuture.supplyAsync(() -> {
                try {
                    return t.post("/v1/completions",
                            "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily\", \"max_tokens\": 20, \"temperature\": 0}");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Eventually.until("the first request is held at the gate", () -> gate.waiting() == 1);
            var refused = t.post("/v1/completions", "{\"model\": \"stories260K.bin\", \"prompt\": \"Tom\", \"max_tokens\": 2}");
            assertEquals(429, refused.statusCode());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
            gate.open();
            assertEquals(200, first.get().statusCode());
        }
    }

    @Test
    void aClientThatGoesAwayCancelsItsGeneration() throws Exception {
        var gate = new Gate();
        try (var t = TestService.start(gate, null, 2, 2, 4, Double.POSITIVE_INFINITY, "remo-otp")) {
            // The session gets a few tokens' worth of weights-server calls, then waits at the gate until its client has
            // gone: it cannot finish its 400 tokens before the client leaves, however fast or slow this machine is.
            gate.holdAfter(200);
            String body = "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily\", \"max_tokens\": 400, \"temperature\": 0, \"stream\": "
                    + "true}";
            try (var s = new Socket("127.0.0.1", t.service.port())) {
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:" + t.service.port()
                        + "\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                out.flush();
                var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) if (line.startsWith("data: {")) break; // the first token arrived
            }
            // then it goes on about a token at a time (remo-otp: ~30 calls a token) until it meets the closed connection
            gate.trickle("the session was cancelled", 30, () -> t.service.counters()[1] > 0);
            Eventually.until("the session ended", () -> t.service.running() == 0);
            assertEquals(1, t.service.counters()[1], "one cancelled session");
        }
    }

    @Test
    void cmifSpendsEachKeysPrivacyBudget(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys");
        Files.writeString(keys, KEY + "\n" + OTHER + "\n");
        // ε 1 per sanitized token, every token sanitized (em: each request's spend is fixed), a budget of 8 per key.
        try (var t = TestService.start(ApiKeys.read(keys), 2, 2, 4, 8, "cmif:sanitizer=em")) {
            String body = "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily and Tom\", \"max_tokens\": 3}";
            var first = t.post("/v1/completions", body, "Authorization", "Bearer " + KEY);
            assertEquals(200, first.statusCode(), first.body());
            JsonNode v = TestService.JSON.readTree(first.body()).get("veil");
            double spent = v.get("epsilon").asDouble();
            assertTrue(spent > 0 && 2 * spent <= 8, v.toString());
            assertEquals(8 - spent, v.get("epsilon_budget_left").asDouble(), 1e-9);
            assertTrue(v.get("covers").asText().contains("not the system prompt"), v.toString());
            assertTrue(v.get("server_prompt").isTextual());
            // The next request is charged exactly what it spends, once its prompt is sanitized: it runs if that fits.
            var second = t.post("/v1/completions", body, "Authorization", "Bearer " + KEY);
            assertEquals(200, second.statusCode(), second.body());
            assertEquals(8 - 2 * spent, TestService.JSON.readTree(second.body()).at("/veil/epsilon_budget_left").asDouble(), 1e-9);
            String tooLong = "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily and Tom went to the big park with a red ball\", "
                    + "\"max_tokens\": 3}";
            var refused = t.post("/v1/completions", tooLong, "Authorization", "Bearer " + OTHER);
            assertEquals(429, refused.statusCode(), "a prompt that spends more than the whole budget never runs");
            assertEquals("privacy_budget_exhausted", TestService.JSON.readTree(refused.body()).at("/error/code").asText());
            var streamed = t.post("/v1/completions", tooLong.replace("}", ", \"stream\": true}"), "Authorization", "Bearer " + OTHER);
            assertEquals(429, streamed.statusCode(), "refused before the stream opens: " + streamed.body());
            assertEquals(200, t.post("/v1/completions", body, "Authorization", "Bearer " + OTHER).statusCode(),
                    "another key has its own budget");
        }
    }
}
