package dev.veil.service;

import com.sun.net.httpserver.HttpExchange;
import dev.veil.engine.model.Model;
import dev.veil.node.ServerViews;
import dev.veil.node.Session;

/**
 * An answer streamed as server-sent events, as OpenAI streams: with {@code stream_options.include_usage} every chunk
 * carries {@code "usage": null} and a last chunk with no choices carries the usage. The last chunk carries the
 * {@code veil} object. The stream opens (its headers, a chat's role chunk) with the first token, so a request refused
 * before it runs (CMIF's privacy budget, charged once the prompt is sanitized) is still an error status.
 */
record CompletionStream(Model model, CompletionJson json, VeilReport report, Counters counters) {
    void run(HttpExchange ex, CheckedRequest c, Session session, ServerViews.View view) {
        var req = c.request();
        boolean usage = req.includeUsage();
        var sse = new EventStream(ex, json.chat() ? json.role(usage) : null);
        Generation.Result result;
        try {
            result = Generation.run(model, session, c.prompt(), c.maxTokens(), c.sampler(), req.stop(),
                    delta -> sse.send(json.delta(delta, usage)));
        } catch (RuntimeException e) {
            if (e instanceof Cancelled || !sse.opened()) throw e; // nothing sent yet: answered as any refusal or fault
            // Headers are sent: the fault goes in the stream, as OpenAI's does, without its details.
            System.err.println("veil serve: a streamed generation failed: " + e);
            var err = ApiError.server();
            sse.send(Json.object("error", Json.object("message", err.getMessage(), "type", err.type, "param", null, "code", null)));
            return;
        }
        counters.tokens.addAndGet(result.completionTokens());
        var last = json.finish(result.finishReason(), usage);
        if (usage) {
            sse.send(last);
            last = json.usageChunk(result);
        }
        last.put("veil", report.of(c.tenant(), view, c.prompt(), result));
        sse.send(last);
        sse.done();
    }
}
