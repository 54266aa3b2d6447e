package dev.veil.service;

import dev.veil.engine.tokenizer.TextDecoder;
import dev.veil.engine.tokenizer.Tokenizer;
import java.util.List;

/**
 * The answer's text as tokens arrive, cut at the first stop sequence. {@link #accept} returns the text that is
 * final now: the {@link TextDecoder} holds back bytes of an unfinished character, and this holds back any tail
 * that could still begin a stop sequence, so a streamed answer never shows text the blocking answer would not.
 * Each token costs the length of its own text and of the stop sequences, never that of the answer so far.
 */
final class AnswerText {
    private final TextDecoder decoder;
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private boolean stopped;

    AnswerText(Tokenizer tokenizer, int previous, List<String> stops) {
        this.decoder = new TextDecoder(tokenizer, previous);
        this.stops = stops;
    }

    /** Adds a token; returns the newly final text ("" for none). After a stop sequence, {@link #stopped()} is true. */
    String accept(int token) {
        if (stopped) return "";
        return add(decoder.accept(token));
    }

    /** The rest, at the end of generation (an unfinished character reads as U+FFFD, as in a whole decode). */
    String finish() {
        String last = stopped ? "" : add(decoder.finish());
        return last + take(text.length());
    }

    boolean stopped() {
        return stopped;
    }

    String text() {
        return text.toString();
    }

    private String add(String piece) {
        if (piece.isEmpty()) return "";
        int from = text.length();
        text.append(piece);
        int cut = firstStop(from);
        if (cut >= 0) {
            stopped = true;
            text.setLength(cut);
            return take(cut);
        }
        return take(text.length() - heldForStop());
    }

    private String take(int end) {
        if (end <= emitted) return "";
        String s = text.substring(emitted, end);
        emitted = end;
        return s;
    }

    /** Where the first stop sequence begins, among those that end in the text from {@code from} on; -1 for none. */
    private int firstStop(int from) {
        int first = -1;
        for (String s : stops) {
            int at = text.indexOf(s, Math.max(0, from - s.length() + 1));
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        return first;
    }

    /** Length of the longest end of the text that is a proper beginning of a stop sequence. */
    private int heldForStop() {
        int held = 0, n = text.length();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, n); k > held; k--) {
                if (endsWith(s, k)) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }

    /** Whether the text ends with the first {@code k} characters of {@code s}. */
    private boolean endsWith(String s, int k) {
        int start = text.length() - k;
        for (int i = 0; i < k; i++) if (text.charAt(start + i) != s.charAt(i)) return false;
        return true;
    }
}
