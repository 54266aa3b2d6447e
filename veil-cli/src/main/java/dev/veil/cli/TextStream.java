package dev.veil.cli;

import dev.veil.engine.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.util.Arrays;

/** Prints generated text as tokens arrive, holding back bytes of a character that is not complete yet. */
final class TextStream {
    private final Tokenizer tokenizer;
    private final int previous;
    private final PrintStream out;
    private int[] tokens = new int[64];
    private int count, printed;

    TextStream(Tokenizer tokenizer, int previous, PrintStream out) {
        this.tokenizer = tokenizer;
        this.previous = previous;
        this.out = out;
    }

    void accept(int token) {
        if (count == tokens.length) tokens = Arrays.copyOf(tokens, count * 2);
        tokens[count++] = token;
        String text = tokenizer.decode(previous, Arrays.copyOf(tokens, count));
        if (!text.endsWith("\uFFFD") && text.length() > printed) {
            out.print(text.substring(printed));
            out.flush();
            printed = text.length();
        }
    }

    void finish() {
        String text = tokenizer.decode(previous, Arrays.copyOf(tokens, count));
        if (text.length() > printed) out.print(text.substring(printed));
        out.println();
        out.flush();
    }
}
