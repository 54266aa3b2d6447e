package dev.veil.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A text as its tokens arrive, for streaming an answer. {@link #accept} decodes just the new token and returns the
 * text that is final now: it holds back the bytes of a character still incomplete (one split across byte tokens),
 * at most three. The pieces joined, and then {@link #finish}, read exactly as {@link Tokenizer#decode(int, int[])}
 * of all the tokens at once; each token's bytes are handled a bounded number of times, so an answer of n tokens
 * costs O(n), not the O(n²) of decoding the whole answer again on every token.
 */
public final class TextDecoder {
    private static final byte[] NONE = {};

    private final Tokenizer.TokenBytes tokens;
    private byte[] held = NONE;

    /** @param previous the token the text follows, as in {@link Tokenizer#decode(int, int[])} (-1 at the start of a text) */
    public TextDecoder(Tokenizer tokenizer, int previous) {
        this.tokens = tokenizer.tokenBytes(previous);
    }

    /** Adds a token; returns the text it completes ("" for none). */
    public String accept(int token) {
        byte[] bytes = tokens.next(token);
        if (bytes.length == 0) return "";
        if (held.length > 0) {
            byte[] joined = Arrays.copyOf(held, held.length + bytes.length);
            System.arraycopy(bytes, 0, joined, held.length, bytes.length);
            bytes = joined;
        }
        int end = completeEnd(bytes);
        held = end == bytes.length ? NONE : Arrays.copyOfRange(bytes, end, bytes.length);
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /** The held-back bytes as a text that ended here would read them (U+FFFD for an incomplete character); "" for none. */
    public String pending() {
        return new String(held, StandardCharsets.UTF_8);
    }

    /** The rest at the end of the text: {@link #pending()}, after which nothing is held. */
    public String finish() {
        String rest = pending();
        held = NONE;
        return rest;
    }

    /**
     * Where the bytes' unfinished character begins: the last lead byte, when it and the continuation bytes after it
     * are a proper beginning of a UTF-8 character (so later bytes may complete it); otherwise the length.
     * A lead byte always starts a character or a malformed sequence of its own, so the bytes before it decode the same
     * whatever follows, and so do malformed bytes that no later byte can complete.
     */
    static int completeEnd(byte[] b) {
        int n = b.length;
        for (int i = n - 1; i >= Math.max(0, n - 3); i--) {
            int x = b[i] & 0xFF;
            if ((x & 0xC0) == 0x80) continue; // a continuation byte: look further back for its lead
            int length = x >= 0xC2 && x <= 0xDF ? 2 : x >= 0xE0 && x <= 0xEF ? 3 : x >= 0xF0 && x <= 0xF4 ? 4 : 1;
            if (n - i >= length) return n;
            if (n - i >= 2 && !secondByteFits(x, b[i + 1] & 0xFF)) return n;
            return i;
        }
        return n;
    }

    /**
     * The second byte's range after each lead byte, as Java's UTF-8 decoder reads them (the decoder that
     * {@link Tokenizer#decode} uses): Unicode's table of well-formed sequences (no overlong forms, nothing past
     * U+10FFFF), except that Java takes a surrogate's three bytes (ED A0..BF ..) together, as one malformed character.
     */
    private static boolean secondByteFits(int lead, int second) {
        return switch (lead) {
            case 0xE0 -> second >= 0xA0 && second <= 0xBF;
            case 0xF0 -> second >= 0x90 && second <= 0xBF;
            case 0xF4 -> second >= 0x80 && second <= 0x8F;
            default -> second >= 0x80 && second <= 0xBF;
        };
    }
}
