package dev.veil.service;

import dev.veil.engine.model.Model;
import dev.veil.engine.tokenizer.ChatPrompt;
import dev.veil.engine.tokenizer.ChatTemplate;
import dev.veil.engine.tokenizer.Tokenizer;
import java.util.List;

/**
 * A request's input as tokens, exactly as {@code veil generate} makes it: which positions are the user's text
 * (a sanitizer may change them) and the token the answer's text follows (-1: a chat answer reads as a text of
 * its own).
 */
record Prompt(int[] tokens, boolean[] editable, int previous) {

    /** BOS (when the model's texts start with one, or the prompt is empty) and the prompt's tokens; all but BOS editable. */
    static Prompt raw(Tokenizer tok, String text) {
        int[] encoded = tok.encode(text);
        boolean bos = tok.addBos() || encoded.length == 0;
        if (bos && tok.bos() < 0) throw ApiError.badRequest("prompt", "The model has no BOS token to start an empty prompt.");
        int[] input = new int[encoded.length + (bos ? 1 : 0)];
        if (bos) input[0] = tok.bos();
        System.arraycopy(encoded, 0, input, bos ? 1 : 0, encoded.length);
        boolean[] editable = new boolean[input.length];
        for (int i = 0; i < input.length; i++) editable[i] = !(i == 0 && bos);
        return new Prompt(input, editable, input[input.length - 1]);
    }

    /**
     * The conversation through the model's chat template; a model without one gets a plain text rendering
     * ("User: ...\nAssistant:"). System messages are instructions, never the user's text, so never editable.
     */
    static Prompt chat(Model model, List<ChatTemplate.Message> messages) {
        Tokenizer tok = model.tokenizer();
        ChatTemplate template;
        try {
            template = ChatTemplate.forModel(tok, model.config().architecture());
        } catch (IllegalArgumentException noTemplate) {
            return plainChat(tok, messages);
        }
        ChatPrompt rendered;
        try {
            rendered = template.render(messages, true);
        } catch (IllegalArgumentException e) { // the messages do not fit the model's chat format (their order, say)
            throw ApiError.badRequest("messages", e.getMessage() + ".");
        }
        boolean[] user = rendered.template();
        for (int i = 0; i < user.length; i++) user[i] = !user[i];
        var system = messages.stream().takeWhile(m -> m.role() == ChatTemplate.Role.SYSTEM).toList();
        if (!system.isEmpty()) {
            int[] prefix = template.render(system, false).tokens();
            int[] all = rendered.tokens();
            for (int i = 0; i < Math.min(prefix.length, all.length) && prefix[i] == all[i]; i++) user[i] = false;
        }
        return new Prompt(rendered.tokens(), user, -1);
    }

    private static Prompt plainChat(Tokenizer tok, List<ChatTemplate.Message> messages) {
        var text = new StringBuilder();
        for (var m : messages) {
            String role = switch (m.role()) {
                case SYSTEM -> "System";
                case USER -> "User";
                case ASSISTANT -> "Assistant";
            };
            text.append(role).append(": ").append(m.content()).append('\n');
        }
        text.append("Assistant:");
        Prompt p = raw(tok, text.toString());
        return new Prompt(p.tokens(), p.editable(), -1);
    }
}
