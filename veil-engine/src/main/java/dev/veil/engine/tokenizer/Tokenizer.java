package dev.veil.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Text to token ids and back. Encoding never produces CONTROL tokens (BOS, end-of-turn, chat headers): text that
 * spells one, such as "&lt;|eot_id|&gt;" typed by a user, is tokenized as ordinary text; only a
 * {@link ChatTemplate} inserts them, by id.
 */
public interface Tokenizer {
    Vocabulary vocabulary();

    /** Token ids of {@code text} at the start of a text, without BOS/EOS. */
    default int[] encode(String text) {
        return encode(text, true);
    }

    /**
     * Token ids of {@code text}, without BOS/EOS. {@code textStart} says whether the text starts here (after BOS or
     * another control token) or continues text already encoded: SentencePiece adds its dummy-prefix space only
     * at the start.
     */
    int[] encode(String text, boolean textStart);

    /**
     * Text of {@code tokens} as it reads when they follow token {@code previous} (-1 at the start of a text;
     * SentencePiece drops the dummy-prefix space after BOS or another control token, but keeps a space
     * mid-text). Control tokens are dropped. Bytes of a character split across tokens are joined; a character
     * still incomplete at the end reads as U+FFFD.
     */
    default String decode(int previous, int[] tokens) {
        TokenBytes pieces = tokenBytes(previous);
        var bytes = new ByteArrayOutputStream();
        for (int t : tokens) bytes.writeBytes(pieces.next(t));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * Decodes one token at a time: each call gives the UTF-8 bytes the next token adds, exactly as {@link #decode}
     * joins them (a byte token's one byte may be part of a character split across tokens). Holds the state that
     * reaches from one token to the next (whether a text starts here).
     */
    @FunctionalInterface
    interface TokenBytes {
        byte[] next(int token);
    }

    /**
     * A fresh {@link TokenBytes} for the tokens that follow token {@code previous} (-1 at the start of a text), as in
     * {@link #decode(int, int[])}; {@link TextDecoder} turns its bytes into text as they arrive.
     */
    TokenBytes tokenBytes(int previous);

    /** Text of a sequence of tokens that starts a text. */
    default String decode(int[] tokens) {
        return decode(-1, tokens);
    }

    default int vocabSize() { return vocabulary().size(); }

    /** The piece of token {@code id} as the vocabulary spells it. */
    default String piece(int id) { return vocabulary().piece(id); }

    default TokenType type(int id) { return vocabulary().type(id); }

    /** Id of the token spelled {@code piece}, or -1. */
    default int tokenId(String piece) { return vocabulary().id(piece); }

    default int bos() { return vocabulary().bos(); }

    default int eos() { return vocabulary().eos(); }

    /** Whether a text starts with BOS (Llama does, Qwen does not). */
    default boolean addBos() { return vocabulary().addBos(); }

    /** Whether generation stops at this token: EOS, an end-of-turn token, or BOS (a new text begins; see {@link Vocabulary}). */
    default boolean isStop(int token) { return vocabulary().isStop(token); }
}
