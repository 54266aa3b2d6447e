package dev.veil.cli;

import dev.veil.engine.tokenizer.TextDecoder;
import dev.veil.engine.tokenizer.Tokenizer;
import java.io.PrintStream;

/** Prints generated text as tokens arrive, through a {@link TextDecoder} (which holds back an unfinished character). */
final class TextStream {
    private final TextDecoder decoder;
    private final PrintStream out;

    TextStream(Tokenizer tokenizer, int previous, PrintStream out) {
        this.decoder = new TextDecoder(tokenizer, previous);
        this.out = out;
    }

    void accept(int token) {
        String text = decoder.accept(token);
        if (!text.isEmpty()) {
            out.print(text);
            out.flush();
        }
    }

    void finish() {
        out.print(decoder.finish());
        out.println();
        out.flush();
    }
}
