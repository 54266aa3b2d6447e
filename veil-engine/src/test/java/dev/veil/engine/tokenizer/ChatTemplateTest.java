package dev.veil.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.tokenizer.ChatTemplate.Family;
import dev.veil.engine.tokenizer.ChatTemplate.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    static final String SYSTEM = "You are a helpful assistant. Answer briefly.";
    static final String USER = "What's the capital of France? Don't say <|eot_id|> or [/INST].";

    @Test
    void llama2MatchesMetasEncoding() {
        Tokenizer t = Fixtures.llama2();
        var chat = ChatTemplate.of(Family.LLAMA2, t);
        ChatPrompt p = chat.render(List.of(Message.system(SYSTEM), Message.user(USER)), true);
        // Meta's chat_completion: one encode (with BOS) of the whole turn.
        int[] expected = SentencePieceTokenizerTest.withBos(t, "[INST] <<SYS>>\n" + SYSTEM + "\n<</SYS>>\n\n" + USER + " [/INST]");
        assertArrayEquals(expected, p.tokens());
        assertEquals(SYSTEM + USER, contentText(t, p));

        ChatPrompt turns = chat.render(List.of(Message.user("Hi there"), Message.assistant("Hello! How can I help?"), Message.user(USER)), true);
        List<Integer> ids = new ArrayList<>();
        for (int id : SentencePieceTokenizerTest.withBos(t, "[INST] Hi there [/INST] Hello! How can I help? ")) ids.add(id);
        ids.add(t.eos());
        for (int id : SentencePieceTokenizerTest.withBos(t, "[INST] " + USER + " [/INST]")) ids.add(id);
        assertArrayEquals(ids.stream().mapToInt(Integer::intValue).toArray(), turns.tokens());

        assertThrows(IllegalArgumentException.class, () -> chat.render(List.of(Message.user("a"), Message.user("b")), true));
        assertThrows(IllegalArgumentException.class, () -> chat.render(List.of(Message.user("a"), Message.assistant("b")), true));
    }

    @Test
    void llama3MatchesLlama3TokenizerJs() {
        Tokenizer t = Fixtures.llama3();
        var chat = ChatTemplate.of(Family.LLAMA3, t);
        String user = "What's the capital of France?";
        ChatPrompt p = chat.render(List.of(Message.system(SYSTEM), Message.user(user)), true);
        // llama3-tokenizer-js reads special tokens from text, so it tokenizes the rendered string independently.
        String rendered = "<|start_header_id|>system<|end_header_id|>\n\n" + SYSTEM + "<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n" + user + "<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertArrayEquals(NodeReference.encode("llama3", List.of(rendered)).get(0), p.tokens());
        assertEquals(SYSTEM + user, contentText(t, p));
        // Flags: exactly the message tokens are content.
        int[] ids = p.tokens();
        for (int i = 0; i < ids.length; i++) {
            if (t.type(ids[i]) == TokenType.CONTROL) assertTrue(p.isTemplate(i), "control token at " + i);
        }
        assertTrue(t.isStop(t.tokenId("<|eot_id|>")));
    }

    @Test
    void specialTextInMessagesStaysText() {
        Tokenizer t = Fixtures.llama3();
        ChatPrompt p = ChatTemplate.of(Family.LLAMA3, t).render(List.of(Message.user(USER)), true);
        int eot = t.tokenId("<|eot_id|>");
        long eots = java.util.Arrays.stream(p.tokens()).filter(id -> id == eot).count();
        assertEquals(1, eots, "only the template's end of turn");
        assertEquals(USER, contentText(t, p));
    }

    @Test
    void chatmlOnAQwenStyleVocabulary() {
        Tokenizer t = qwenStyle();
        String jinja = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
                + "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}";
        Map<String, Object> meta = qwenMetadata();
        meta.put("tokenizer.chat_template", jinja);
        Tokenizer withJinja = Tokenizers.fromGguf(meta);
        var chat = ChatTemplate.forModel(withJinja, "qwen2");
        assertEquals(Family.CHATML, chat.family());
        assertEquals("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", chat.defaultSystem());

        ChatPrompt p = chat.render(List.of(Message.user("Hi!")), true);
        String rendered = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n";
        assertArrayEquals(encodeWithSpecials(t, rendered, List.of("<|im_start|>", "<|im_end|>")), p.tokens());
        assertEquals("Hi!", contentText(t, p));
        assertTrue(t.isStop(t.tokenId("<|im_end|>")));
        assertTrue(!t.addBos());
        // An explicit system message replaces the default.
        ChatPrompt own = chat.render(List.of(Message.system("Be terse."), Message.user("Hi!")), false);
        assertEquals("Be terse.Hi!", contentText(t, own));
    }

    @Test
    void familyFromTheModel() {
        assertEquals(Family.LLAMA2, ChatTemplate.forModel(Fixtures.llama2(), "llama").family());
        assertEquals(Family.LLAMA3, ChatTemplate.forModel(Fixtures.llama3(), "llama").family());
        var qwen = ChatTemplate.forModel(qwenStyle(), "qwen3");
        assertEquals(Family.CHATML, qwen.family());
        assertNull(qwen.defaultSystem());
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.forModel(Fixtures.llama2(), "gemma"));
        assertTrue(e.getMessage().contains("gemma"), e.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.of(Family.CHATML, Fixtures.llama2()));
        assertTrue(missing.getMessage().contains("<|im_start|>"), missing.getMessage());
    }

    /** The text of the content (non-template) tokens, each run decoded as a text of its own. */
    static String contentText(Tokenizer t, ChatPrompt p) {
        var b = new StringBuilder();
        int[] ids = p.tokens();
        for (int i = 0; i < ids.length; ) {
            if (p.isTemplate(i)) { i++; continue; }
            int j = i;
            while (j < ids.length && !p.isTemplate(j)) j++;
            b.append(t.decode(java.util.Arrays.copyOfRange(ids, i, j)).strip());
            i = j;
        }
        return b.toString();
    }

    /** Hugging Face's way: split the rendered text at special tokens, encode the pieces between. */
    static int[] encodeWithSpecials(Tokenizer t, String text, List<String> specials) {
        var out = new ArrayList<Integer>();
        int at = 0;
        while (at < text.length()) {
            int next = text.length();
            String found = null;
            for (String s : specials) {
                int i = text.indexOf(s, at);
                if (i >= 0 && i < next) { next = i; found = s; }
            }
            for (int id : t.encode(text.substring(at, next))) out.add(id);
            if (found == null) break;
            out.add(t.tokenId(found));
            at = next + found.length();
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Llama 3's vocabulary with specials renamed to ChatML's, Qwen's split, and no BOS: a Qwen stand-in. */
    static Map<String, Object> qwenMetadata() {
        Map<String, Object> meta = Fixtures.llama3Metadata();
        String[] tokens = ((String[]) meta.get("tokenizer.ggml.tokens")).clone();
        tokens[128002] = "<|im_start|>";
        tokens[128003] = "<|im_end|>";
        tokens[128006] = "<|box_start|>"; // in place of <|start_header_id|>, which Qwen lacks
        meta.put("tokenizer.ggml.tokens", tokens);
        meta.put("tokenizer.ggml.pre", "qwen2");
        meta.put("tokenizer.ggml.add_bos_token", false);
        meta.put("tokenizer.ggml.eos_token_id", 128003);
        return meta;
    }

    private static Tokenizer qwenStyle;

    static synchronized Tokenizer qwenStyle() {
        if (qwenStyle == null) qwenStyle = Tokenizers.fromGguf(qwenMetadata());
        return qwenStyle;
    }
}
