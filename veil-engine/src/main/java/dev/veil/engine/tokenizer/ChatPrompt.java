package dev.veil.engine.tokenizer;

/**
 * A chat rendered to token ids. {@code template[i]} is true where the chat template wrote token i (control tokens,
 * role headers, {@code [INST]} markers, a default system prompt) and false where the token carries a message's
 * content. A sanitizer that rewrites user tokens (CMIF) must leave template positions alone.
 */
public record ChatPrompt(int[] tokens, boolean[] template) {
    public ChatPrompt {
        if (tokens.length != template.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + template.length + " template flags");
        }
        tokens = tokens.clone();
        template = template.clone();
    }

    public int length() {
        return tokens.length;
    }

    public boolean isTemplate(int position) {
        return template[position];
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public boolean[] template() {
        return template.clone();
    }
}
