package dev.veil.engine.tokenizer;

/**
 * What a vocabulary entry is, numbered as SentencePiece and GGUF ({@code tokenizer.ggml.token_type}) number it.
 * Only NORMAL pieces come out of merges; CONTROL tokens are never read from text (a chat template inserts them
 * by id); USER_DEFINED pieces are matched whole wherever they occur in text; BYTE pieces ({@code <0xXX>}) stand
 * for one byte each, the fallback for characters the vocabulary lacks.
 */
public enum TokenType {
    UNDEFINED, NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    /** The type with code {@code code}; codes outside 0..6 read as UNDEFINED. */
    public static TokenType of(int code) {
        return code >= 0 && code < values().length ? values()[code] : UNDEFINED;
    }

    public int code() {
        return ordinal();
    }
}
