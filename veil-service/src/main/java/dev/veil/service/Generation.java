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

    /** Ends the generation loop from inside {@code onToken} at a stop sequence. */
    private static final class StopSequence extends RuntimeException {
        StopSequence() {
            super(null, null, false, false);
        }
    }

    record Result(String text, String finishReason, int promptTokens, int completionTokens, SessionReport report, int[] tokens) {}

    private Generation() {}

    static Result run(Model model, Session session, Prompt prompt, int maxTokens, Sampler sampler, List<String> stops, Sink sink) {
        var answer = new AnswerText(model.tokenizer(), prompt.previous(), stops);
        int[] generated = new int[Math.max(maxTokens, 0)];
        int[] count = {0};
        try {
            session.generate(prompt.tokens(), prompt.editable(), maxTokens, sampler, token -> {
                generated[count[0]++] = token;
                String delta = answer.accept(token);
                if (!delta.isEmpty()) sink.text(delta);
                if (answer.stopped()) throw new StopSequence();
            });
        } catch (StopSequence stop) {
            // the answer ends at its stop sequence
        }
        String rest = answer.finish();
        if (!rest.isEmpty()) sink.text(rest);
        String finish = !answer.stopped() && count[0] == maxTokens ? "length" : "stop";
        return new Result(answer.text(), finish, prompt.tokens().length, count[0], session.report(), java.util.Arrays.copyOf(generated,
                count[0]));
    }
}
