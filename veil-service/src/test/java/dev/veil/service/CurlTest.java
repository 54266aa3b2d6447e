package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The service driven by curl, as the README shows it: blocking and streaming, chat and completions, and its errors. */
class CurlTest {
    static TestService t;

    @BeforeAll
    static void start() throws Exception {
        t = TestService.start();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    /** curl's output: the status line's code, then the body (-w appends the code). */
    static String[] curl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-N", "-w", "\n%{http_code}"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        int cut = out.lastIndexOf('\n');
        return new String[] {out.substring(cut + 1), out.substring(0, cut)};
    }

    static String[] post(String path, String json) throws IOException, InterruptedException {
        return curl(t.base + path, "-H", "Content-Type: application/json", "-d", json);
    }

    @Test
    void completionAsTheReadmeShowsIt() throws Exception {
        String[] r = post("/v1/completions",
                "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily\", \"temperature\": 0, \"max_tokens\": 20}");
        assertEquals("200", r[0], r[1]);
        JsonNode j = TestService.JSON.readTree(r[1]);
        assertEquals(TestService.greedy("Lily", 20), j.at("/choices/0/text").asText());
        assertEquals("remo-otp", j.at("/veil/scheme").asText());
        var alone = TestService.report("remo-otp", "Lily", 20); // the service adds nothing to a session's traffic
        assertEquals(alone.bytesSent(), j.at("/veil/bytes_sent").asLong());
        assertEquals(alone.calls(), j.at("/veil/weights_server_calls").asLong());
        assertEquals(20, j.at("/usage/completion_tokens").asInt());
    }

    @Test
    void streamingCompletionIsServerSentEvents() throws Exception {
        String[] r = post("/v1/completions",
                "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily\", \"temperature\": 0, \"max_tokens\": 20, "
                + "\"stream\": true, \"stream_options\": {\"include_usage\": true}, \"veil\": {\"scheme\": \"plain\"}}");
        assertEquals("200", r[0], r[1]);
        List<JsonNode> chunks = chunks(r[1]);
        var text = new StringBuilder();
        for (JsonNode c : chunks) text.append(c.at("/choices/0/text").asText());
        assertEquals(TestService.greedy("Lily", 20), text.toString());
        usageAsOpenAiSendsIt(chunks, 20);
        assertEquals("length", chunks.get(chunks.size() - 2).at("/choices/0/finish_reason").asText());
        assertEquals("plain", chunks.getLast().at("/veil/scheme").asText());
    }

    /**
     * OpenAI's shape with {@code stream_options.include_usage}: every chunk has {@code "usage": null} but a last one
     * with {@code "choices": []} and the usage, after the chunk with the finish reason.
     */
    static void usageAsOpenAiSendsIt(List<JsonNode> chunks, int completionTokens) {
        JsonNode last = chunks.getLast();
        assertTrue(last.get("choices").isArray() && last.get("choices").isEmpty(), last.toString());
        assertEquals(completionTokens, last.at("/usage/completion_tokens").asInt(), last.toString());
        assertEquals(last.at("/usage/prompt_tokens").asInt() + completionTokens, last.at("/usage/total_tokens").asInt());
        for (JsonNode c : chunks.subList(0, chunks.size() - 1)) {
            assertTrue(c.has("usage") && c.get("usage").isNull(), c.toString());
            assertEquals(1, c.get("choices").size(), c.toString());
        }
        assertTrue(chunks.get(chunks.size() - 2).at("/choices/0/finish_reason").isTextual());
    }

    /** The {@code data:} chunks of a server-sent event stream that ends in {@code data: [DONE]}. */
    static List<JsonNode> chunks(String stream) throws IOException {
        String[] events = stream.split("\n\n");
        assertEquals("data: [DONE]", events[events.length - 1].strip());
        List<JsonNode> chunks = new ArrayList<>();
        for (int i = 0; i < events.length - 1; i++) {
            assertTrue(events[i].startsWith("data: {"), events[i]);
            chunks.add(TestService.JSON.readTree(events[i].substring(6)));
        }
        return chunks;
    }

    @Test
    void chatStreamsUsageLastAsOpenAiDoes() throws Exception {
        String[] c = post("/v1/chat/completions",
                "{\"model\": \"stories260K.bin\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                + "\"temperature\": 0, \"max_tokens\": 10, \"stream\": true, \"stream_options\": {\"include_usage\": true}}");
        assertEquals("200", c[0], c[1]);
        List<JsonNode> chunks = chunks(c[1]);
        usageAsOpenAiSendsIt(chunks, 10);
        assertEquals("chat.completion.chunk", chunks.getLast().get("object").asText());
        assertTrue(chunks.getLast().get("veil").isObject(), "the last chunk carries the veil object");

        String[] plain = post("/v1/chat/completions",
                "{\"model\": \"stories260K.bin\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                + "\"temperature\": 0, \"max_tokens\": 10, \"stream\": true}");
        for (JsonNode chunk : chunks(plain[1])) {
            assertTrue(!chunk.has("usage"), "without include_usage no chunk has usage: " + chunk);
            assertEquals(1, chunk.get("choices").size(), chunk.toString());
        }
    }

    @Test
    void anAnswerThatEndsAtAStopTokenFinishesWithStop() throws Exception {
        // stories260K ends the story "Lily" begins with BOS, a stop token, after 223 tokens (llama2.c's run.c stops there too).
        for (String stream : new String[] {"false", "true"}) {
            String[] r = post("/v1/completions", "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily\", \"temperature\": 0, "
                    + "\"max_tokens\": 300, \"stream\": " + stream + ", \"stream_options\": {\"include_usage\": true}, "
                    + "\"veil\": {\"scheme\": \"plain\"}}");
            assertEquals("200", r[0], r[1]);
            String[] events = r[1].split("\n\n");
            // streamed: the finish_reason chunk, then OpenAI's usage chunk ("choices": []), then [DONE]
            JsonNode finish = TestService.JSON.readTree(stream.equals("true") ? events[events.length - 3].substring(6) : r[1]);
            JsonNode usage = TestService.JSON.readTree(stream.equals("true") ? events[events.length - 2].substring(6) : r[1]);
            assertEquals("stop", finish.at("/choices/0/finish_reason").asText(), r[1]);
            assertEquals(223, usage.at("/usage/completion_tokens").asInt(), r[1]);
        }
        assertTrue(TestService.greedy("Lily", 300).endsWith("They played together every day."));
    }

    @Test
    void chatStreamsDeltasAndStopsAtAStopSequence() throws Exception {
        String full = TestService.greedy("Lily", 30);
        String stop = full.substring(full.indexOf(' ', 8), full.indexOf(' ', 8) + 4);
        String[] r = post("/v1/completions",
                "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily\", \"temperature\": 0, \"max_tokens\": 30, "
                + "\"stop\": [" + TestService.JSON.writeValueAsString(stop) + "]}");
        JsonNode j = TestService.JSON.readTree(r[1]);
        assertEquals(full.substring(0, full.indexOf(stop)), j.at("/choices/0/text").asText());
        assertEquals("stop", j.at("/choices/0/finish_reason").asText());

        String[] c = post("/v1/chat/completions",
                "{\"model\": \"stories260K.bin\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                + "\"temperature\": 0, \"max_tokens\": 10, \"stream\": true}");
        assertEquals("200", c[0], c[1]);
        assertTrue(c[1].startsWith("data: {"), c[1]);
        JsonNode first = TestService.JSON.readTree(c[1].split("\n\n")[0].substring(6));
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        assertTrue(c[1].strip().endsWith("data: [DONE]"));
    }

    @Test
    void errorsAreOpenAiErrorObjects() throws Exception {
        expectError(post("/v1/completions", "{\"model\": \"stories260K.bin\", \"prompt\": "), "400", null);
        expectError(post("/v1/completions", "{\"model\": \"stories260K.bin\", \"prompt\": \"x\", \"max_tokens\": -1}"), "400",
                "max_tokens");
        expectError(post("/v1/completions", "{\"model\": \"stories260K.bin\", \"prompt\": \"x\", \"n\": 2}"), "400", "n");
        expectError(post("/v1/completions", "{\"model\": \"stories260K.bin\", \"prompt\": \"x\", \"top_p\": \"high\"}"), "400", "top_p");
        expectError(post("/v1/completions", "{\"model\": \"stories260K.bin\", \"prompt\": \"x\", \"tools\": []}"), "400", "tools");
        expectError(post("/v1/chat/completions", "{\"model\": \"stories260K.bin\", \"messages\": []}"), "400", "messages");
        expectError(post("/v1/completions", "{\"model\": \"gpt-4\", \"prompt\": \"x\"}"), "404", "model");
        expectError(post("/v1/completions", "{\"model\": \"stories260K.bin\", \"prompt\": \"" + "tale ".repeat(3000) + "\"}"), "400",
                "prompt");
        expectError(post("/v1/completions", "{\"model\": \"stories260K.bin\", \"prompt\": \"x\", \"veil\": {\"scheme\": \"shares\"}}"),
                "400",
                "veil.scheme");
        expectError(curl(t.base + "/v1/nothing"), "404", null);
        expectError(curl(t.base + "/v1/completions"), "405", null);
        var big = java.nio.file.Files.createTempFile("veil-big", ".json");
        try {
            java.nio.file.Files.writeString(big, "{\"prompt\": \"" + "x".repeat(1 << 20) + "\"}");
            expectError(curl(t.base + "/v1/completions", "-H", "Content-Type: application/json", "--data-binary", "@" + big), "413", null);
        } finally {
            java.nio.file.Files.delete(big);
        }
    }

    private static void expectError(String[] r, String status, String param) throws IOException {
        assertEquals(status, r[0], r[1]);
        JsonNode e = TestService.JSON.readTree(r[1]).get("error");
        assertTrue(e != null && e.get("message").isTextual() && e.has("type") && e.has("code"), r[1]);
        if (param != null) assertEquals(param, e.get("param").asText(), r[1]);
        assertFalse(r[1].contains("at dev.veil") || r[1].contains("Exception"), r[1]);
    }
}
