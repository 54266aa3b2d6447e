package dev.veil.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.ModelFormatException;
import dev.veil.engine.Shared;
import dev.veil.engine.model.Llama2cLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Meta's Llama 2 tokenizer (tokenizer.model) against llama-tokenizer-js and against a plain reference merge. */
class SentencePieceTokenizerTest {
    static final String GIRL = "Once upon a time there was a little girl";

    static int[] withBos(Tokenizer t, String s) {
        int[] ids = t.encode(s);
        int[] out = new int[ids.length + 1];
        out[0] = t.bos();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    @Test
    void knownIds() {
        assertArrayEquals(new int[] {1, 9038, 2501, 263, 931, 727, 471, 263, 2217, 7826}, withBos(Fixtures.llama2(), GIRL));
    }

    @Test
    void readsTheModelFile() {
        SentencePieceModel m = Fixtures.llama2Model();
        Tokenizer t = Fixtures.llama2();
        assertEquals(32000, t.vocabSize());
        assertEquals(0, m.unk());
        assertEquals(1, t.bos());
        assertEquals(2, t.eos());
        assertEquals(TokenType.UNKNOWN, t.type(0));
        assertEquals(TokenType.CONTROL, t.type(1));
        assertEquals(TokenType.BYTE, t.type(3));
        assertEquals("<0x0A>", t.piece(13));
        assertEquals(TokenType.NORMAL, t.type(29871));
        assertEquals("\u2581", t.piece(29871));
        assertTrue(t.isStop(2) && t.isStop(1), "EOS, and BOS (a new text begins)");
        assertTrue(!t.isStop(0) && !t.isStop(29871));
    }

    @Test
    void agreesWithLlamaTokenizerJs() {
        List<String> corpus = new ArrayList<>(Fixtures.TRICKY);
        corpus.addAll(Fixtures.sst2().subList(0, 5000));
        List<int[]> expected = NodeReference.encode("llama2", corpus);
        Tokenizer t = Fixtures.llama2();
        for (int i = 0; i < corpus.size(); i++) {
            assertArrayEquals(expected.get(i), withBos(t, corpus.get(i)), "text " + i + ": " + Json.quote(corpus.get(i)));
        }
    }

    @Test
    void roundTripsAllOfSst2() {
        Tokenizer t = Fixtures.llama2();
        for (String s : Fixtures.sst2()) assertEquals(s, t.decode(t.encode(s)));
        for (String s : Fixtures.TRICKY) assertEquals(s, t.decode(t.encode(s)));
    }

    @Test
    void priorityQueueMergeEqualsPlainMerge() {
        var t = (SentencePieceTokenizer) Fixtures.llama2();
        var r = new Random(7);
        String alphabet = "aeiou ntrslTHE.,'\n\t0123éß中🦙";
        for (int trial = 0; trial < 300; trial++) {
            var b = new StringBuilder();
            int len = r.nextInt(60);
            for (int i = 0; i < len; i++) b.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, r.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            String s = b.toString();
            assertArrayEquals(t.encodePlain(s, true), t.encode(s), Json.quote(s));
        }
        String sentence = String.join(" ", Fixtures.sst2().subList(0, 50));
        for (String s : Fixtures.TRICKY) assertArrayEquals(t.encodePlain(s, true), t.encode(s), s);
        assertArrayEquals(t.encodePlain(sentence, true), t.encode(sentence));
    }

    @Test
    void byteFallbackAndControlText() {
        Tokenizer t = Fixtures.llama2();
        // 🦙 is not a piece: its four UTF-8 bytes are.
        assertArrayEquals(new int[] {29871, 243, 162, 169, 156}, t.encode("🦙"));
        // Text that spells a control token is ordinary text.
        int[] ids = t.encode("</s>");
        assertTrue(Arrays.stream(ids).noneMatch(id -> id == 2), Arrays.toString(ids));
        assertEquals("</s>", t.decode(ids));
    }

    @Test
    void streamingDecode() {
        Tokenizer t = Fixtures.llama2();
        int[] ids = t.encode("Hello world");
        // After BOS the dummy-prefix space goes; mid-text the space before a word stays.
        assertEquals("Hello", t.decode(t.bos(), new int[] {ids[0]}));
        assertEquals(" world", t.decode(ids[0], new int[] {ids[1]}));
        assertEquals("Hello world", t.decode(t.bos(), ids));
        // A character split over byte tokens reads whole only once all its bytes are there.
        int[] llama = t.encode("a🦙");
        int[] partial = Arrays.copyOf(llama, llama.length - 1);
        assertTrue(t.decode(partial).endsWith("\uFFFD"));
        assertEquals("a🦙", t.decode(llama));
        // Control tokens read as nothing, and a text after one starts afresh.
        assertEquals("Hello", t.decode(new int[] {1, ids[0], 2}));
        assertEquals("Hi", t.decode(2, t.encode("Hi")));
        // Continuation encoding adds no dummy prefix.
        assertEquals(" world", t.decode(ids[0], t.encode(" world", false)));
    }

    @Test
    void userDefinedPiecesAreMatchedWhole() {
        String[] pieces = {"<unk>", "<s>", "</s>", "\u2581", "a", "b", "ab", "<sep>", "\u2581a"};
        float[] scores = {0, 0, 0, -1, -2, -3, -0.5f, 0, -0.1f};
        TokenType[] types = new TokenType[pieces.length];
        Arrays.fill(types, TokenType.NORMAL);
        types[0] = TokenType.UNKNOWN;
        types[1] = types[2] = TokenType.CONTROL;
        types[7] = TokenType.USER_DEFINED;
        var t = new SentencePieceTokenizer(new Vocabulary(pieces, types, 1, 2, 0, true, new int[0], null), scores, true);
        assertArrayEquals(new int[] {8, 5, 7, 6}, t.encode("ab<sep>ab"));
        assertEquals("ab<sep>ab", t.decode(t.encode("ab<sep>ab")));
        // Without byte pieces a character the vocabulary lacks is the unknown token.
        assertArrayEquals(new int[] {8, 0, 5}, t.encode("azb"));
        assertEquals("a \u2047 b", t.decode(t.encode("azb")));
    }

    @Test
    void ggufMetadataGivesTheSameTokenizer() {
        Tokenizer fromGguf = Tokenizers.fromGguf(Fixtures.llama2Model().ggufMetadata());
        assertTrue(fromGguf instanceof SentencePieceTokenizer);
        for (String s : Fixtures.TRICKY) assertArrayEquals(Fixtures.llama2().encode(s), fromGguf.encode(s), s);
    }

    @Test
    void storiesGgufTokenizerIsItsLlama2cTokenizer() throws Exception {
        var gguf = dev.veil.engine.gguf.GGUFFile.open(Shared.storiesGguf());
        Tokenizer t = Tokenizers.fromGguf(gguf.metadata());
        Tokenizer bin = Llama2cLoader.loadTokenizer(Shared.storiesTokenizer(), 512);
        assertEquals(TokenType.UNKNOWN, t.type(0));
        assertEquals(TokenType.CONTROL, t.type(1));
        assertEquals(TokenType.BYTE, t.type(3 + 0x0A));
        for (String s : Fixtures.sst2().subList(0, 500)) assertArrayEquals(bin.encode(s), t.encode(s), s);
        for (String s : Fixtures.TRICKY) {
            assertArrayEquals(bin.encode(s), t.encode(s), s);
            assertEquals(s, t.decode(t.encode(s)));
        }
    }

    @Test
    void llama2cTokenizerBinAgreesWithTheModelFile() throws Exception {
        Tokenizer bin = Llama2cLoader.loadTokenizer(Shared.path("models/llama2-tokenizer/tokenizer.bin"), 32000);
        for (String s : Fixtures.sst2().subList(0, 500)) assertArrayEquals(Fixtures.llama2().encode(s), bin.encode(s), s);
        for (String s : Fixtures.TRICKY) assertArrayEquals(Fixtures.llama2().encode(s), bin.encode(s), s);
    }

    @Test
    void malformedModelFileIsAClearError(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("tokenizer.model");
        Files.write(bad, new byte[] {0x0A, 0x7F, 0x01});
        var e = assertThrows(ModelFormatException.class, () -> SentencePieceModel.read(bad));
        assertTrue(e.getMessage().contains("not a SentencePiece model"), e.getMessage());
    }

    /** Found by fuzzing (docs/hardening.md): a previous token beyond the vocabulary escaped as an index error. */
    @Test
    void decodingAfterATokenOutsideTheVocabularyIsAClearError() throws Exception {
        Tokenizer t = Llama2cLoader.loadTokenizer(Shared.storiesTokenizer(), 512);
        var e = assertThrows(IllegalArgumentException.class, () -> t.decode(1977636767, new int[] {5}));
        assertEquals("token 1977636767 is outside the vocabulary of 512", e.getMessage());
    }
}
