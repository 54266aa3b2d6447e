package dev.veil.service;

import dev.veil.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * The answer's text as tokens arrive, cut at the first stop sequence. {@link #accept} returns the text that is
 * final now: it holds back bytes of an unfinished character and any tail that could still begin a stop
 * sequence, so a streamed answer never shows text the blocking answer would not.
 */
final class AnswerText {
    private final Tokenizer tokenizer;
    private final int previous;
    private final List<String> stops;
    private int[] tokens = new int[64];
    private int count, emitted;
    private String text = "";
    private boolean stopped;

    AnswerText(Tokenizer tokenizer, int previous, List<String> stops) {
        this.tokenizer = tokenizer;
        this.previous = previous;
        this.stops = stops;
    }

    /** Adds a token; returns the newly final text ("" for none). After a stop sequence, {@link #stopped()} is true. */
    String accept(int token) {
        if (count == tokens.length) tokens = Arrays.copyOf(tokens, count * 2);
        tokens[count++] = token;
        text = tokenizer.decode(previous, Arrays.copyOf(tokens, count));
        int cut = firstStop();
        if (cut >= 0) {
            stopped = true;
            text = text.substring(0, cut);
            return take(text.length());
        }
        if (text.endsWith("\uFFFD")) return "";
        return take(text.length() - heldForStop());
    }

    /** The rest, at the end of generation. */
    String finish() {
        return take(text.length());
    }

    boolean stopped() {
        return stopped;
    }

    String text() {
        return text;
    }

    private String take(int end) {
        if (end <= emitted) return "";
        String s = text.substring(emitted, end);
        emitted = end;
        return s;
    }

    private int firstStop() {
        int first = -1;
        for (String s : stops) {
            int at = text.indexOf(s, Math.max(0, emitted - s.length()));
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        return first;
    }

    /** Length of the longest end of the text that is a proper beginning of a stop sequence. */
    private int heldForStop() {
        int held = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > held; k--) {
                if (text.regionMatches(text.length() - k, s, 0, k)) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }
}
