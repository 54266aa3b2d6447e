package dev.veil.service;

import java.util.List;
import java.util.Map;

/** One answer's OpenAI JSON, blocking or streamed, in OpenAI's field order: what varies is its id, kind and creation time. */
record CompletionJson(String id, boolean chat, long created, String model) {
    /** The blocking answer: one choice, the usage, then the {@code veil} report. */
    Map<String, Object> completion(Generation.Result result, Map<String, Object> veil) {
        var choice = Json.object("index", 0);
        if (chat) choice.put("message", Json.object("role", "assistant", "content", result.text(), "refusal", null));
        else choice.put("text", result.text());
        choice.put("logprobs", null);
        choice.put("finish_reason", result.finishReason());
        return Json.object("id", id, "object", chat ? "chat.completion" : "text_completion", "created", created,
                "model", model, "choices", List.of(choice), "usage", usage(result), "veil", veil);
    }

    /** A chat stream's first chunk: the assistant's role. */
    Map<String, Object> role(boolean usageLater) {
        return chunk(Json.object("role", "assistant", "content", ""), null, usageLater);
    }

    /** A chunk with a piece of the answer's text. */
    Map<String, Object> delta(String text, boolean usageLater) {
        return chunk(chat ? Json.object("content", text) : text, null, usageLater);
    }

    /** The chunk that says why the answer ended. */
    Map<String, Object> finish(String reason, boolean usageLater) {
        return chunk(chat ? Json.object() : "", reason, usageLater);
    }

    /** The chunk after the last, with no choices and the usage ({@code stream_options.include_usage}). */
    Map<String, Object> usageChunk(Generation.Result result) {
        return Json.object("id", id, "object", chat ? "chat.completion.chunk" : "text_completion", "created", created,
                "model", model, "choices", List.of(), "usage", usage(result));
    }

    /** One chunk with one choice; {@code "usage": null} when the client asked for usage at the end. */
    private Map<String, Object> chunk(Object content, String finish, boolean usageLater) {
        var choice = Json.object("index", 0, chat ? "delta" : "text", content, "logprobs", null, "finish_reason", finish);
        var c = Json.object("id", id, "object", chat ? "chat.completion.chunk" : "text_completion", "created", created,
                "model", model, "choices", List.of(choice));
        if (usageLater) c.put("usage", null);
        return c;
    }

    private static Map<String, Object> usage(Generation.Result r) {
        return Json.object("prompt_tokens", r.promptTokens(), "completion_tokens", r.completionTokens(),
                "total_tokens", r.promptTokens() + r.completionTokens());
    }
}
