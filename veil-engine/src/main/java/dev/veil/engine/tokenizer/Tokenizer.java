package dev.veil.engine.tokenizer;

/** Text to token ids and back. */
public interface Tokenizer {
    /** Token ids of {@code text}, without BOS/EOS. */
    int[] encode(String text);

    /**
     * Text of {@code tokens} as it reads when they follow token {@code previous} (-1 or BOS at the start of a
     * text); special tokens are dropped. Bytes of a character split across tokens are joined.
     */
    String decode(int previous, int[] tokens);

    /** Text of a sequence of tokens that starts a text. */
    default String decode(int[] tokens) {
        return decode(-1, tokens);
    }

    int vocabSize();

    /** The piece of token {@code id} as the vocabulary spells it. */
    String piece(int id);

    int bos();

    int eos();

    /** Whether generation stops at this token (EOS, end-of-turn). */
    default boolean isStop(int token) {
        return token == eos();
    }
}
