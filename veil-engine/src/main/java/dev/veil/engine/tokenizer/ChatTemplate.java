package dev.veil.engine.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders a chat to token ids in the format a model family was fine-tuned on, marking which tokens the template
 * wrote ({@link ChatPrompt}). Control tokens are inserted by id, never read from text, so a message that spells
 * "&lt;|eot_id|&gt;" cannot end its turn. Message content is stripped of surrounding white space (as Meta's and
 * Hugging Face's Llama templates do) and tokenized apart from the template's text, so a message's tokens never
 * straddle template tokens.
 *
 * <ul>
 *   <li>LLAMA2: {@code <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} </s>}, each turn
 *       encoded as its own text, as Meta's {@code chat_completion} does.</li>
 *   <li>LLAMA3: {@code <|begin_of_text|><|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>}.</li>
 *   <li>CHATML (Qwen): {@code <|im_start|>{role}\n{content}<|im_end|>\n}, with the model's default system prompt
 *       when its template names one.</li>
 * </ul>
 */
public final class ChatTemplate {
    public enum Family { LLAMA2, LLAMA3, CHATML }

    public enum Role {
        SYSTEM, USER, ASSISTANT;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public record Message(Role role, String content) {
        public Message {
            if (role == null || content == null) throw new IllegalArgumentException("a chat message needs a role and content");
        }

        public static Message system(String content) { return new Message(Role.SYSTEM, content); }
        public static Message user(String content) { return new Message(Role.USER, content); }
        public static Message assistant(String content) { return new Message(Role.ASSISTANT, content); }
    }

    /** A literal default system prompt in a ChatML Jinja template, as Qwen 2 and 2.5 write it. */
    private static final Pattern DEFAULT_SYSTEM = Pattern.compile("<\\|im_start\\|>system\\\\n([^'\"{}<\\\\]+)<\\|im_end\\|>");

    private final Family family;
    private final Tokenizer tokenizer;
    private final String defaultSystem;
    private final int startHeader, endHeader, eot, imStart, imEnd;

    private ChatTemplate(Family family, Tokenizer tokenizer, String defaultSystem) {
        this.family = family;
        this.tokenizer = tokenizer;
        this.defaultSystem = defaultSystem;
        startHeader = family == Family.LLAMA3 ? control(tokenizer, "<|start_header_id|>") : -1;
        endHeader = family == Family.LLAMA3 ? control(tokenizer, "<|end_header_id|>") : -1;
        eot = family == Family.LLAMA3 ? control(tokenizer, "<|eot_id|>") : -1;
        imStart = family == Family.CHATML ? control(tokenizer, "<|im_start|>") : -1;
        imEnd = family == Family.CHATML ? control(tokenizer, "<|im_end|>") : -1;
        if (family == Family.LLAMA2 && (tokenizer.bos() < 0 || tokenizer.eos() < 0)) {
            throw new IllegalArgumentException("the Llama 2 chat format needs BOS and EOS tokens");
        }
    }

    private static int control(Tokenizer t, String piece) {
        int id = t.tokenId(piece);
        if (id < 0) throw new IllegalArgumentException("the tokenizer has no " + piece + " token, which its chat format needs");
        return id;
    }

    /** The template of {@code family} over {@code tokenizer}, without a default system prompt. */
    public static ChatTemplate of(Family family, Tokenizer tokenizer) {
        return new ChatTemplate(family, tokenizer, null);
    }

    /**
     * The template a model uses: named by its Jinja chat template ({@code tokenizer.chat_template}) when it has one,
     * else by its tokenizer's special tokens, else by its architecture (llama: Llama 2; qwen2, qwen3: ChatML).
     */
    public static ChatTemplate forModel(Tokenizer tokenizer, String architecture) {
        String jinja = tokenizer.vocabulary().chatTemplate();
        if (jinja != null) {
            if (jinja.contains("<|start_header_id|>")) return of(Family.LLAMA3, tokenizer);
            if (jinja.contains("<|im_start|>")) {
                Matcher m = DEFAULT_SYSTEM.matcher(jinja);
                return new ChatTemplate(Family.CHATML, tokenizer, m.find() ? m.group(1) : null);
            }
            if (jinja.contains("[INST]") && jinja.contains("<<SYS>>")) return of(Family.LLAMA2, tokenizer);
            throw new IllegalArgumentException("the model's chat template is not one Veil supports (Llama 2, Llama 3, ChatML)");
        }
        if (tokenizer.vocabulary().id("<|start_header_id|>", TokenType.CONTROL) >= 0) return of(Family.LLAMA3, tokenizer);
        if (tokenizer.vocabulary().id("<|im_start|>", TokenType.CONTROL) >= 0) return of(Family.CHATML, tokenizer);
        return switch (architecture == null ? "" : architecture) {
            case "llama" -> of(Family.LLAMA2, tokenizer);
            case "qwen2", "qwen3" -> of(Family.CHATML, tokenizer);
            default -> throw new IllegalArgumentException("no chat template known for architecture '" + architecture + "'");
        };
    }

    public Family family() {
        return family;
    }

    /** The default system prompt the model's template adds when a chat has none, or null. */
    public String defaultSystem() {
        return defaultSystem;
    }

    /**
     * Renders {@code messages}; with {@code addGenerationPrompt} it ends where the assistant's answer begins, and
     * generation should run until {@link Tokenizer#isStop} (end of turn).
     */
    public ChatPrompt render(List<Message> messages, boolean addGenerationPrompt) {
        var p = new Builder();
        switch (family) {
            case LLAMA2 -> llama2(p, messages, addGenerationPrompt);
            case LLAMA3 -> llama3(p, messages, addGenerationPrompt);
            case CHATML -> chatml(p, messages, addGenerationPrompt);
        }
        return p.build();
    }

    private void llama2(Builder p, List<Message> messages, boolean addGenerationPrompt) {
        String system = null;
        int first = 0;
        if (!messages.isEmpty() && messages.get(0).role() == Role.SYSTEM) {
            system = messages.get(0).content().strip();
            first = 1;
        }
        for (int i = first; i < messages.size(); i += 2) {
            Message user = messages.get(i);
            Message answer = i + 1 < messages.size() ? messages.get(i + 1) : null;
            if (user.role() != Role.USER || answer != null && answer.role() != Role.ASSISTANT) {
                throw new IllegalArgumentException("the Llama 2 chat format needs an optional system message, then user and assistant messages in turn");
            }
            p.special(tokenizer.bos());
            p.template("[INST]");
            if (i == first && system != null) {
                p.template(" <<SYS>>\n");
                p.content(system);
                p.template("\n<</SYS>>\n\n");
                p.content(user.content().strip());
            } else {
                // The space belongs to the content's first piece ("▁Hello"), as in Meta's single-string encoding.
                p.content(" " + user.content().strip());
            }
            p.template(" [/INST]");
            if (answer != null) {
                p.content(" " + answer.content().strip());
                p.template(" ");
                p.special(tokenizer.eos());
            }
        }
        if (addGenerationPrompt && (messages.size() - first) % 2 == 0) {
            throw new IllegalArgumentException("the Llama 2 chat format generates only after a user message");
        }
    }

    private void llama3(Builder p, List<Message> messages, boolean addGenerationPrompt) {
        if (tokenizer.bos() >= 0) p.special(tokenizer.bos());
        for (Message m : messages) header(p, m.role()).content(m.content().strip()).special(eot);
        if (addGenerationPrompt) header(p, Role.ASSISTANT);
    }

    private Builder header(Builder p, Role role) {
        return p.special(startHeader).template(role.label()).special(endHeader).template("\n\n");
    }

    private void chatml(Builder p, List<Message> messages, boolean addGenerationPrompt) {
        if (tokenizer.addBos() && tokenizer.bos() >= 0) p.special(tokenizer.bos());
        if (defaultSystem != null && (messages.isEmpty() || messages.get(0).role() != Role.SYSTEM)) {
            p.special(imStart).template("system\n" + defaultSystem).special(imEnd).template("\n");
        }
        for (Message m : messages) {
            p.special(imStart).template(m.role().label() + "\n").content(m.content().strip()).special(imEnd).template("\n");
        }
        if (addGenerationPrompt) p.special(imStart).template("assistant\n");
    }

    /** Appends tokens, flagging template ones; text after a control token is encoded as a text start. */
    private final class Builder {
        private final IntList tokens = new IntList(64);
        private final BitSet template = new BitSet();
        private boolean textStart = true;

        Builder special(int id) {
            template.set(tokens.size());
            tokens.add(id);
            textStart = true;
            return this;
        }

        Builder template(String text) {
            return text(text, true);
        }

        Builder content(String text) {
            return text(text, false);
        }

        private Builder text(String text, boolean isTemplate) {
            if (text.isEmpty()) return this;
            for (int id : tokenizer.encode(text, textStart)) {
                template.set(tokens.size(), isTemplate);
                tokens.add(id);
            }
            textStart = false;
            return this;
        }

        ChatPrompt build() {
            boolean[] flags = new boolean[tokens.size()];
            for (int i = 0; i < flags.length; i++) flags[i] = template.get(i);
            return new ChatPrompt(tokens.toArray(), flags);
        }
    }

    /** The messages of a one-turn chat: an optional system prompt (null or blank for none), then the user's. */
    public static List<Message> singleTurn(String system, String user) {
        List<Message> messages = new ArrayList<>();
        if (system != null && !system.isBlank()) messages.add(Message.system(system));
        messages.add(Message.user(user));
        return messages;
    }
}
