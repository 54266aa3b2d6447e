package dev.veil.service;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.node.Session;
import dev.veil.node.SessionReport;
import java.util.List;

/**
 * One request's generation on one session: feeds each final piece of text to a {@link Sink} as tokens arrive,
 * stops at a stop sequence, and says why it ended. A sink that fails (the client went away) ends the
 * generation at that token.
 */
final class Generation {
    /** Where the answer's text goes; throws when the client is gone, which cancels the generation. */
    interface Sink {
        void text(String delta);
    }

    record Result(String text, String finishReason, int promptTokens, int completionTokens, SessionReport report, int[] tokens) {}

    private Generation() {}

    static Result run(Model model, Session session, Prompt prompt, int maxTokens, Sampler sampler, List<String> stops, Sink sink) {
        var answer = new AnswerText(model.tokenizer(), prompt.previous(), stops);
        // The session ends the generation after the token that completes a stop sequence: no exception through its loop.
        int[] generated = session.generateWhile(prompt.tokens(), prompt.editable(), maxTokens, sampler, token -> {
            String delta = answer.accept(token);
            if (!delta.isEmpty()) sink.text(delta);
            return !answer.stopped();
        });
        String rest = answer.finish();
        if (!rest.isEmpty()) sink.text(rest);
        String finish = !answer.stopped() && generated.length == maxTokens ? "length" : "stop";
        return new Result(answer.text(), finish, prompt.tokens().length, generated.length, session.report(), generated);
    }
}
