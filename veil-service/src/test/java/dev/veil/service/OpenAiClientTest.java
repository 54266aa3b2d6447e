package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The service driven by OpenAI's own Java library (com.openai:openai-java), a client Veil did not write. */
class OpenAiClientTest {
    static TestService t;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        t = TestService.start();
        client = OpenAIOkHttpClient.builder().baseUrl(t.base + "/v1").apiKey("unused-on-loopback").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        t.close();
    }

    @Test
    void listsTheModel() {
        var models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals(TestService.ID, models.getFirst().id());
    }

    @Test
    void blockingCompletionIsTheGreedyText() throws Exception {
        Completion c = client.completions().create(CompletionCreateParams.builder().model(TestService.ID).prompt("Once upon a time")
                .temperature(0.0).maxTokens(24).build());
        assertEquals(TestService.greedy("Once upon a time", 24), c.choices().getFirst().text());
        assertEquals(Completion.class, c.getClass());
        assertEquals("length", c.choices().getFirst().finishReason().asString());
        assertEquals(24, c.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamingCompletionAddsUpToTheGreedyText() throws Exception {
        var params = CompletionCreateParams.builder().model(TestService.ID).prompt("Tom had a dog").temperature(0.0).maxTokens(30).build();
        var text = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(params)) {
            s.stream().forEach(c -> c.choices().forEach(ch -> text.append(ch.text())));
        }
        assertEquals(TestService.greedy("Tom had a dog", 30), text.toString());
    }

    @Test
    void blockingAndStreamingChatAgree() {
        var params = ChatCompletionCreateParams.builder().model(TestService.ID).addSystemMessage("You tell stories.")
                .addUserMessage("Tell me about a cat.").temperature(0.0).maxCompletionTokens(40).build();
        ChatCompletion c = client.chat().completions().create(params);
        String blocking = c.choices().getFirst().message().content().orElseThrow();
        assertTrue(!blocking.isEmpty());
        var streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(ch -> ch.choices().forEach(x -> x.delta().content().ifPresent(streamed::append)));
        }
        assertEquals(blocking, streamed.toString());
        assertEquals(c.usage().orElseThrow().promptTokens() + c.usage().orElseThrow().completionTokens(),
                c.usage().orElseThrow().totalTokens());
    }

    /** {@code stream_options.include_usage}: the library's chunks, as OpenAI sends them (usage alone, on a last chunk). */
    @Test
    void streamedUsageComesInALastChunkWithoutChoices() {
        var usage = ChatCompletionStreamOptions.builder().includeUsage(true).build();
        List<Completion> completions = new ArrayList<>();
        try (StreamResponse<Completion> s = client.completions().createStreaming(CompletionCreateParams.builder().model(TestService.ID)
                .prompt("Lily").temperature(0.0).maxTokens(12).streamOptions(usage).build())) {
            s.stream().forEach(completions::add);
        }
        Completion last = completions.getLast();
        assertTrue(last.choices().isEmpty(), last.toString());
        assertEquals(12, last.usage().orElseThrow().completionTokens());
        for (Completion c : completions.subList(0, completions.size() - 1)) {
            assertTrue(c.usage().isEmpty() && c.choices().size() == 1, c.toString());
        }
        assertEquals("length", completions.get(completions.size() - 2).choices().getFirst().finishReason().asString());

        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model(TestService.ID).addUserMessage("Hi").temperature(0.0).maxCompletionTokens(10).streamOptions(usage).build())) {
            s.stream().forEach(chunks::add);
        }
        ChatCompletionChunk lastChunk = chunks.getLast();
        assertTrue(lastChunk.choices().isEmpty(), lastChunk.toString());
        assertEquals(10, lastChunk.usage().orElseThrow().completionTokens());
        for (ChatCompletionChunk c : chunks.subList(0, chunks.size() - 1)) {
            assertTrue(c.usage().isEmpty() && c.choices().size() == 1, c.toString());
        }
    }

    @Test
    void errorsReachTheClientAsOpenAiErrors() {
        var unknown = assertThrows(NotFoundException.class, () -> client.completions().create(CompletionCreateParams.builder()
                .model("gpt-4o").prompt("hi").maxTokens(2).build()));
        assertEquals(404, unknown.statusCode());
        var bad = assertThrows(BadRequestException.class, () -> client.completions().create(CompletionCreateParams.builder()
                .model(TestService.ID).prompt("hi").temperature(7.0).maxTokens(2).build()));
        assertTrue(bad.getMessage().contains("temperature"), bad.getMessage());
        String huge = "word ".repeat(2000);
        var tooLong = assertThrows(BadRequestException.class, () -> client.completions().create(CompletionCreateParams.builder()
                .model(TestService.ID).prompt(huge).maxTokens(2).build()));
        assertTrue(tooLong.getMessage().contains("maximum context length"), tooLong.getMessage());
    }

    @Test
    void eightConcurrentStreamsEachGetTheirOwnGreedyText() throws Exception {
        String[] prompts = {"Lily", "Tom saw a bird", "The sun was", "Once there was a big", "A little boy", "Sue liked",
                "The cat jumped", "Ben and Mia"};
        try (var pool = Executors.newFixedThreadPool(prompts.length)) {
            List<Future<String>> answers = new ArrayList<>();
            for (String p : prompts) {
                answers.add(pool.submit(() -> {
                    var text = new StringBuilder();
                    var params = CompletionCreateParams.builder().model(TestService.ID).prompt(p).temperature(0.0).maxTokens(40).build();
                    try (StreamResponse<Completion> s = client.completions().createStreaming(params)) {
                        s.stream().forEach(c -> c.choices().forEach(ch -> text.append(ch.text())));
                    }
                    return text.toString();
                }));
            }
            for (int i = 0; i < prompts.length; i++) assertEquals(TestService.greedy(prompts[i], 40), answers.get(i).get(), prompts[i]);
        }
    }
}
