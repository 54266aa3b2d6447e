package dev.veil.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.model.Llama2cLoader;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The incremental decoder against {@link Tokenizer#decode} of the whole text, at every prefix of random token sequences. */
class TextDecoderTest {
    private static final String[] SCRIPTS = {
        "a", " the", "é", "ß", "€", "中文", "ℝ", "😀", "👩‍👩‍👧", "\uD800\uDFFF", "\n", "  "};

    @Test
    void storiesSentencePieceWithByteFallback() throws Exception {
        agreesWithWholeDecode(Llama2cLoader.loadTokenizer(Shared.storiesTokenizer(), 512), 400, 1);
    }

    @Test
    void llama2SentencePiece() {
        agreesWithWholeDecode(Fixtures.llama2(), 200, 2);
    }

    @Test
    void llama3BytePairEncoding() {
        agreesWithWholeDecode(Fixtures.llama3(), 200, 3);
    }

    /** Byte tokens alone: random byte strings, well-formed UTF-8 or not, split at every token. */
    @Test
    void randomBytes() throws Exception {
        Tokenizer t = Llama2cLoader.loadTokenizer(Shared.storiesTokenizer(), 512);
        int[] byteToken = new int[256];
        for (int i = 0; i < t.vocabSize(); i++) if (t.type(i) == TokenType.BYTE) byteToken[Vocabulary.byteValue(t.piece(i))] = i;
        var random = new Random(4);
        int[] common = {0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
        for (int trial = 0; trial < 3000; trial++) {
            int[] ids = new int[1 + random.nextInt(12)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = byteToken[random.nextBoolean() ? common[random.nextInt(common.length)] : random.nextInt(256)];
            }
            checkEveryPrefix(t, -1, ids);
        }
    }

    /** A lead byte's proper beginnings are held; what no later byte can complete is not. */
    @Test
    void holdsBackOnlyCharactersLaterBytesCanComplete() {
        assertEquals(1, TextDecoder.completeEnd(bytes(0x61, 0xE2)));
        assertEquals(1, TextDecoder.completeEnd(bytes(0x61, 0xE2, 0x82)));
        assertEquals(4, TextDecoder.completeEnd(bytes(0x61, 0xE2, 0x82, 0xAC)));
        assertEquals(1, TextDecoder.completeEnd(bytes(0x61, 0xF0, 0x9F, 0x98)));
        assertEquals(3, TextDecoder.completeEnd(bytes(0x61, 0xE0, 0x80)), "an overlong form is malformed already");
        assertEquals(1, TextDecoder.completeEnd(bytes(0x61, 0xED, 0xA0)), "Java reads a surrogate's three bytes as one");
        assertEquals(2, TextDecoder.completeEnd(bytes(0x61, 0xC0)), "C0 never starts a character");
        assertEquals(2, TextDecoder.completeEnd(bytes(0x61, 0x80)));
    }

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) out[i] = (byte) b[i];
        return out;
    }

    private static void agreesWithWholeDecode(Tokenizer t, int trials, long seed) {
        var random = new Random(seed);
        int n = t.vocabSize();
        for (int trial = 0; trial < trials; trial++) {
            var ids = new IntList(64);
            while (ids.size() < 40) {
                switch (random.nextInt(4)) {
                    case 0 -> ids.add(random.nextInt(n));
                    case 1 -> ids.add(random.nextInt(Math.min(n, 300)));  // byte tokens and control tokens, where vocabularies keep them
                    default -> {
                        var text = new StringBuilder();
                        for (int k = random.nextInt(4); k >= 0; k--) text.append(SCRIPTS[random.nextInt(SCRIPTS.length)]);
                        for (int id : t.encode(text.toString(), random.nextBoolean())) ids.add(id);
                    }
                }
            }
            int[] all = ids.toArray();
            int[] previous = {-1, t.bos(), random.nextInt(n)};
            checkEveryPrefix(t, previous[random.nextInt(previous.length)], all);
        }
    }

    private static void checkEveryPrefix(Tokenizer t, int previous, int[] ids) {
        var decoder = new TextDecoder(t, previous);
        var streamed = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            streamed.append(decoder.accept(ids[i]));
            String whole = t.decode(previous, java.util.Arrays.copyOf(ids, i + 1));
            assertEquals(whole, streamed + decoder.pending(), () -> "after " + previous + ", tokens " + java.util.Arrays.toString(ids));
            assertTrue(decoder.pending().length() <= 3, "held back at most one unfinished character");
        }
        streamed.append(decoder.finish());
        assertEquals(t.decode(previous, ids), streamed.toString());
        assertEquals("", decoder.finish());
    }
}
