package dev.veil.attack.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Golden values from the Hugging Face reference: the `tokenizers` library on the same tokenizer.json and
 * onnxruntime (Python) on the same quantized model, mean-pooled and normalized.
 */
class SentenceEncoderTest {
    static SentenceEncoder encoder;

    @BeforeAll
    static void load() {
        encoder = new SentenceEncoder();
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    @Test
    void tokenizerMatchesHuggingFace() throws Exception {
        WordPieceTokenizer tok;
        try (var in = SentenceEncoder.class.getResourceAsStream(SentenceEncoder.TOKENIZER)) {
            tok = new WordPieceTokenizer(in);
        }
        assertArrayEquals(new long[] {101, 7592, 1010, 2088, 999, 102}, tok.encode("Hello, world!"));
        assertArrayEquals(new long[] {101, 2009, 1005, 1055, 1037, 11951, 1998, 2411, 12473, 4990, 1012, 102},
                tok.encode("it 's a charming and often affecting journey . "));
        assertArrayEquals(new long[] {101, 7592, 15743, 7668, 1879, 1755, 1517, 2123, 1005, 1056, 102},
                tok.encode("Héllo naïve café 東京 — don't"));
        assertArrayEquals(new long[] {101, 4895, 10258, 2378, 8450, 2135, 21657, 1998, 7143, 102},
                tok.encode("unflinchingly bleak and desperate"));
    }

    @Test
    void similaritiesMatchTheReference() {
        assertEquals(0.28646, encoder.similarity("The cat sits outside", "The dog plays in the garden"), 2e-3);
        assertEquals(-0.03141, encoder.similarity("A man is playing guitar", "A woman watches TV"), 2e-3);
        assertEquals(0.88020, encoder.similarity("The new movie is awesome", "The new movie is so great"), 2e-3);
        assertEquals(1.0, encoder.similarity("same words", "same words"), 1e-5);
        float[] e = encoder.embed("Hello, world!");
        assertArrayEquals(new float[] {-0.03740f, 0.03871f, -0.00805f, 0.01482f, -0.03438f}, java.util.Arrays.copyOf(e, 5), 2e-4f);
    }
}
