package dev.veil.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.veil.engine.Eventually;
import dev.veil.service.VeilService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unmodified OpenAI client on the client's machine, through {@code veil proxy}, to {@code veil serve} over mutual
 * TLS 1.3 with (SIMULATED) evidence: every answer is exactly what serve gives a direct client.
 */
class ProxyEndToEndTest {
    @TempDir static Path dir;
    static Deployment d;
    static VeilService serve;
    static VerifyingProxy proxy;
    static OpenAIClient openai;
    static HttpClient direct;
    static final List<String> log = new CopyOnWriteArrayList<>();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        d = new Deployment(dir);
        serve = d.serve(d.node, Deployment.simulated(Deployment.MEASUREMENT), 0);
        var node = d.attested(serve.port(), Deployment.verifier(true, Deployment.MEASUREMENT), log);
        proxy = new VerifyingProxy(node, 1 << 20, 16, Duration.ofSeconds(60), log::add).start("127.0.0.1", 0);
        openai = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + proxy.port() + "/v1").apiKey("unused").maxRetries(0).build();
        direct = Deployment.client(d.proxy);
    }

    @AfterAll
    static void stop() throws Exception {
        openai.close();
        direct.close();
        proxy.close();
        d.close();
    }

    private static String directText(String prompt, int maxTokens) throws Exception {
        var r = Deployment.post(direct, Deployment.url(serve.port()) + "/v1/completions", JSON.createObjectNode()
                .put("model", Deployment.ID).put("prompt", prompt).put("temperature", 0).put("max_tokens", maxTokens).toString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("choices").path(0).path("text").asText();
    }

    @Test
    void startsOnlyAfterAttestingAndSaysSimulated() {
        assertTrue(log.stream().anyMatch(l -> l.contains("attested: SIMULATED attestation") && l.contains("pinned TLS key sha256:")),
                String.join("\n", log));
    }

    @Test
    void blockingCompletionIsWhatServeGivesDirectly() throws Exception {
        Completion c = openai.completions().create(CompletionCreateParams.builder().model(Deployment.ID).prompt("Once upon a time")
                .temperature(0.0).maxTokens(24).build());
        String text = c.choices().getFirst().text();
        assertFalse(text.isEmpty());
        assertEquals(directText("Once upon a time", 24), text);
    }

    @Test
    void streamingCompletionIsWhatServeGivesDirectly() throws Exception {
        var params = CompletionCreateParams.builder().model(Deployment.ID).prompt("Tom had a dog").temperature(0.0).maxTokens(30).build();
        var text = new StringBuilder();
        int[] chunks = {0};
        try (StreamResponse<Completion> s = openai.completions().createStreaming(params)) {
            s.stream().forEach(c -> {
                chunks[0]++;
                c.choices().forEach(ch -> text.append(ch.text()));
            });
        }
        assertEquals(directText("Tom had a dog", 30), text.toString());
        assertTrue(chunks[0] > 10, "the stream came through as chunks: " + chunks[0]);
    }

    @Test
    void streamingChatEqualsBlockingChat() {
        var params = ChatCompletionCreateParams.builder().model(Deployment.ID).addUserMessage("Tell me about a cat.").temperature(0.0)
                .maxCompletionTokens(30).build();
        String blocking = openai.chat().completions().create(params).choices().getFirst().message().content().orElseThrow();
        var streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = openai.chat().completions().createStreaming(params)) {
            s.stream().forEach(ch -> ch.choices().forEach(x -> x.delta().content().ifPresent(streamed::append)));
        }
        assertEquals(blocking, streamed.toString());
    }

    @Test
    void answersCarryTheAttestationSummary() throws Exception {
        try (var local = HttpClient.newHttpClient()) {
            var r = local.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains(Deployment.ID), r.body());
            assertTrue(r.headers().firstValue("Veil-Attestation").orElseThrow().startsWith("SIMULATED"));
        }
    }

    @Test
    void anAppThatGoesAwayMidStreamCancelsTheNodesSession() throws Exception {
        // Its own serve, each weights-server call delayed 2 ms: 400 tokens take far longer than the app's going away
        // takes to reach serve, so the session cannot end on its own first (with the shared serve it sometimes did).
        // The stream must flow when the app leaves: held at a gate instead (no data for a while), the proxy's early
        // close of the node's stream (the JDK HttpClient's) sometimes left the node connection open, and serve
        // generated all 400 tokens into it.
        var slow = d.serve(d.node, Deployment.simulated(Deployment.MEASUREMENT), 0, Duration.ofMillis(2));
        var node = d.attested(slow.port(), Deployment.verifier(true, Deployment.MEASUREMENT), log);
        String body = JSON.createObjectNode().put("model", Deployment.ID).put("prompt", "Once").put("temperature", 0)
                .put("max_tokens", 400).put("stream", true).toString();
        try (var slowProxy = new VerifyingProxy(node, 1 << 20, 4, Duration.ofSeconds(60), log::add).start("127.0.0.1", 0);
             var app = HttpClient.newHttpClient()) {
            var r = app.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + slowProxy.port() + "/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (var in = r.body()) {
                assertTrue(new String(in.readNBytes(6)).startsWith("data: "));
            } // the app closes its connection with the stream under way
            Eventually.until("serve cancelled the session", () -> slow.counters()[1] == 1);
        }
        assertEquals(1, slow.counters()[1], "serve cancelled the session of the app that went away");
        assertTrue(slow.counters()[2] < 400, "tokens generated before the cancel: " + slow.counters()[2]);
    }

    @Test
    void streamsComeThroughAsTheyArriveNotWhenTheyEnd() throws Exception {
        // A node under the test's control, with the genuine node's identity and evidence (it asks serve for it): its
        // stream sends one event, then waits until the app has read that event through the proxy before it ends.
        var firstSeen = new java.util.concurrent.CountDownLatch(1);
        var node = d.https(d.node, 0, ex -> {
            try (ex) {
                if (ex.getRequestURI().getPath().equals("/v1/attestation")) {
                    byte[] evidence = Deployment.get(direct, Deployment.url(serve.port()) + "/v1/attestation?"
                            + ex.getRequestURI().getRawQuery()).body().getBytes();
                    ex.sendResponseHeaders(200, evidence.length);
                    ex.getResponseBody().write(evidence);
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
                var out = ex.getResponseBody();
                out.write("data: first\n\n".getBytes());
                out.flush();
                firstSeen.await(20, java.util.concurrent.TimeUnit.SECONDS);
                out.write("data: [DONE]\n\n".getBytes());
                out.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        var attested = d.attested(node.getAddress().getPort(), Deployment.verifier(true, Deployment.MEASUREMENT), log);
        try (var streaming = new VerifyingProxy(attested, 1 << 20, 4, Duration.ofSeconds(30), log::add).start("127.0.0.1", 0);
             var app = HttpClient.newHttpClient()) {
            var pending = app.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + streaming.port() + "/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            String[] first = new String[1];
            var headersAndFirstEvent = pending.thenApply(r -> {
                try {
                    first[0] = new String(r.body().readNBytes("data: first\n\n".length()));
                    return r.body();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            // a proxy that buffered the answer (or its headers) would deliver nothing before the node ends its stream
            try (var in = headersAndFirstEvent.get(10, java.util.concurrent.TimeUnit.SECONDS)) {
                assertEquals("data: first\n\n", first[0]);
                firstSeen.countDown();
                assertEquals("data: [DONE]\n\n", new String(in.readAllBytes()));
            }
        }
    }
}
