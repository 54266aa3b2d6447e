package dev.veil.engine.model;

import dev.veil.engine.tokenizer.SentencePieceModel;
import dev.veil.engine.tokenizer.TokenType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;

/** SentencePiece vocabularies of any size for random models: a real one cut or grown, or one made from nothing. */
public final class SyntheticVocabulary {
    private static final String SPACE = "\u2581";
    /** Specials and the 256 byte pieces. */
    private static final int MIN_SIZE = 3 + 256;

    private SyntheticVocabulary() {}

    /**
     * A vocabulary of {@code size} tokens with no trained data: {@code <unk>}, BOS, EOS, the 256 byte pieces,
     * "▁" and the printable ASCII characters, then merges (see {@link #resize}).
     */
    public static SentencePieceModel of(int size) {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) pieces.add(String.format("<0x%02X>", b));
        pieces.add(SPACE);
        for (char ch = '!'; ch <= '~'; ch++) pieces.add(String.valueOf(ch));
        int n = pieces.size();
        float[] scores = new float[n];
        TokenType[] types = new TokenType[n];
        for (int i = 0; i < n; i++) {
            types[i] = i == 0 ? TokenType.UNKNOWN : i < 3 ? TokenType.CONTROL : i < MIN_SIZE ? TokenType.BYTE : TokenType.NORMAL;
            if (i >= MIN_SIZE) scores[i] = -1e6f - i; // characters rank below every merge
        }
        return resize(new SentencePieceModel(pieces.toArray(String[]::new), scores, types, 0, 1, 2, true), size);
    }

    /**
     * {@code v} cut or grown to {@code size} tokens. Growing appends merges, each the concatenation of two NORMAL
     * pieces already present (the second not starting a word), enumerated shortest-first and scored below every
     * existing piece, so the result is still a valid BPE vocabulary with byte fallback that encodes any text. (Not
     * every grown piece is reachable: higher-scored merges may segment its text differently.)
     */
    public static SentencePieceModel resize(SentencePieceModel v, int size) {
        if (size < MIN_SIZE) throw new IllegalArgumentException("a SentencePiece vocabulary needs at least " + MIN_SIZE
                + " tokens (specials and bytes), got " + size);
        int n = v.pieces().length;
        if (size <= n) {
            if (Math.max(v.bos(), Math.max(v.eos(), v.unk())) >= size) throw new IllegalArgumentException("cutting to " + size + " drops a special token");
            return new SentencePieceModel(Arrays.copyOf(v.pieces(), size), Arrays.copyOf(v.scores(), size),
                    Arrays.copyOf(v.types(), size), v.unk(), v.bos(), v.eos(), v.addDummyPrefix());
        }
        List<String> all = new ArrayList<>(Arrays.asList(v.pieces()));
        var seen = new HashSet<>(all);
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < n; i++) if (v.types()[i] == TokenType.NORMAL) parts.add(v.pieces()[i]);
        float score = Float.POSITIVE_INFINITY;
        for (float s : v.scores()) score = Math.min(score, s);
        float[] scores = Arrays.copyOf(v.scores(), size);
        TokenType[] types = Arrays.copyOf(v.types(), size);
        Arrays.fill(types, n, size, TokenType.NORMAL);
        // Diagonal walk over pairs (i, j) of a growing list: every new piece is a merge of two earlier ones.
        for (int sum = 0; all.size() < size; sum++) {
            if (sum > 2 * parts.size()) throw new IllegalArgumentException("no more merges to grow the vocabulary to " + size);
            for (int i = 0; i <= sum && all.size() < size; i++) {
                int j = sum - i;
                if (i >= parts.size() || j >= parts.size() || parts.get(j).startsWith(SPACE)) continue;
                String merged = parts.get(i) + parts.get(j);
                if (seen.add(merged)) {
                    scores[all.size()] = score = Math.min(score - 1, Math.nextDown(score));
                    all.add(merged);
                    parts.add(merged);
                }
            }
        }
        return new SentencePieceModel(all.toArray(String[]::new), scores, types, v.unk(), v.bos(), v.eos(), v.addDummyPrefix());
    }
}
