package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.tokenizer.CountingTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextStreamTest {
    /** Each token is decoded a bounded number of times, however long the answer: no re-decoding of the whole answer per token. */
    @Test
    void decodesEachTokenOnce() throws Exception {
        var tok = new CountingTokenizer(Llama2cLoader.loadTokenizer(Shared.storiesTokenizer(), 512));
        var bytes = new ByteArrayOutputStream();
        var stream = new TextStream(tok, 1, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        var random = new Random(7);
        int n = 4000;
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = 3 + random.nextInt(509);
            stream.accept(tokens[i]);
        }
        stream.finish();
        long touched = tok.decoded();
        assertTrue(touched <= 2L * n, touched + " tokens decoded for an answer of " + n);
        assertEquals(tok.decode(1, tokens) + System.lineSeparator(), bytes.toString(StandardCharsets.UTF_8));
    }
}
