package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.tokenizer.CountingTokenizer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AnswerTextTest {
    /** Each token is decoded a bounded number of times, however long the answer: no re-decoding of the whole answer per token. */
    @Test
    void decodesEachTokenOnce() throws Exception {
        var tok = new CountingTokenizer(Llama2cLoader.loadTokenizer(Shared.storiesTokenizer(), 512));
        var answer = new AnswerText(tok, 1, List.of("never in this answer \u0001"));
        var random = new Random(7);
        var streamed = new StringBuilder();
        int n = 4000;
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = 3 + random.nextInt(509);
            streamed.append(answer.accept(tokens[i]));
        }
        streamed.append(answer.finish());
        long touched = tok.decoded();
        assertTrue(touched <= 2L * n, touched + " tokens decoded for an answer of " + n);
        assertEquals(tok.decode(1, tokens), streamed.toString());
    }

    /**
     * Random answers with stop sequences taken from their own text: the streamed pieces are the whole decode cut at
     * the first stop sequence, it stops at the token that completes one, and nothing streamed is ever taken back.
     */
    @Test
    void cutsAtTheFirstStopSequence() throws Exception {
        var tok = Llama2cLoader.loadTokenizer(Shared.storiesTokenizer(), 512);
        var random = new Random(11);
        for (int trial = 0; trial < 300; trial++) {
            int[] tokens = new int[30];
            for (int i = 0; i < tokens.length; i++) tokens[i] = 3 + random.nextInt(509);
            String whole = tok.decode(1, tokens);
            var stops = new java.util.ArrayList<String>();
            for (int k = random.nextInt(3); k >= 0; k--) {
                int at = random.nextInt(whole.length()), len = 1 + random.nextInt(Math.min(6, whole.length() - at));
                String stop = whole.substring(at, at + len);
                // (A stop sequence holding U+FFFD could match an unfinished character's stand-in in a partial decode.)
                stops.add(random.nextInt(4) == 0 || stop.contains("\uFFFD") ? "not in it \u0001" : stop);
            }
            var answer = new AnswerText(tok, 1, stops);
            var streamed = new StringBuilder();
            int used = 0;
            while (used < tokens.length && !answer.stopped()) streamed.append(answer.accept(tokens[used++]));
            streamed.append(answer.finish());
            // It stops at the first token whose text holds a stop sequence, and cuts at the first one there.
            int cut = -1, stopAt;
            for (stopAt = 1; stopAt <= tokens.length && cut < 0; stopAt++) {
                String partial = tok.decode(1, java.util.Arrays.copyOf(tokens, stopAt));
                for (String s : stops) {
                    int at = partial.indexOf(s);
                    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
                }
            }
            stopAt--;
            String expected = cut < 0 ? whole : whole.substring(0, cut);
            assertEquals(expected, streamed.toString(), () -> "stops " + stops + " in " + whole);
            assertEquals(expected, answer.text());
            assertEquals(cut >= 0, answer.stopped());
            assertEquals(stopAt, used, "tokens taken before the stop");
        }
    }
}
