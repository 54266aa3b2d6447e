package dev.veil.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece BPE as Llama 2 and llama2.c use it. Spaces become "▁" and a dummy-prefix "▁" starts a text; the
 * text is split into characters (user-defined pieces whole), then the adjacent pair whose joined piece has the
 * highest score is merged, leftmost first on ties, until no joined pair is a piece. Symbols left that are not
 * pieces fall back to their UTF-8 bytes ({@code <0xXX>} tokens), or to the unknown token without byte pieces.
 * Merging keeps the candidate pairs in a priority queue, so a text of n characters takes O(n log n).
 */
public final class SentencePieceTokenizer implements Tokenizer {
    static final char SPACE = '\u2581';
    /** What SentencePiece prints for the unknown token. */
    private static final String UNKNOWN_SURFACE = " \u2047 ";

    private final Vocabulary vocab;
    private final float[] scores;
    private final boolean addDummyPrefix;
    /** Pieces a merge may produce and a symbol may end as: NORMAL and USER_DEFINED ones. */
    private final Map<String, Integer> mergeable = new HashMap<>();
    private final int[] byteTokens = new int[256];

    public SentencePieceTokenizer(Vocabulary vocab, float[] scores, boolean addDummyPrefix) {
        if (scores.length != vocab.size()) {
            throw new IllegalArgumentException(scores.length + " scores for " + vocab.size() + " tokens");
        }
        this.vocab = vocab;
        this.scores = scores.clone();
        this.addDummyPrefix = addDummyPrefix;
        Arrays.fill(byteTokens, -1);
        for (int i = 0; i < vocab.size(); i++) {
            TokenType t = vocab.type(i);
            if (t == TokenType.NORMAL || t == TokenType.USER_DEFINED) mergeable.putIfAbsent(vocab.piece(i), i);
            int b = Vocabulary.byteValue(vocab.piece(i));
            if (t == TokenType.BYTE && b >= 0 && byteTokens[b] < 0) byteTokens[b] = i;
        }
    }

    /** A llama2.c-style vocabulary: types inferred, "&lt;unk&gt;" at 0 unknown, dummy prefix on. */
    public SentencePieceTokenizer(String[] pieces, float[] scores, int bos, int eos) {
        this(new Vocabulary(pieces, null, bos, eos, pieces.length > 0 && pieces[0].equals("<unk>") ? 0 : -1, true, new int[0], null),
                scores, true);
    }

    @Override
    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public int[] encode(String text, boolean textStart) {
        if (text.isEmpty()) return new int[0];
        String s = escape(text, textStart);
        var out = new IntList(s.length() + 1);
        vocab.encode(s, this::encodeRun, out);
        return out.toArray();
    }

    /** The text as SentencePiece sees it: spaces as "▁", and a dummy-prefix "▁" at a text's start. */
    private String escape(String text, boolean textStart) {
        return (textStart && addDummyPrefix ? String.valueOf(SPACE) : "") + text.replace(' ', SPACE);
    }

    /** BPE on s[from, to): symbols are a doubly linked list over the characters, merged best pair first. */
    private void encodeRun(String s, int from, int to, IntList out) {
        if (from >= to) return;
        int n = s.codePointCount(from, to);
        int[] start = new int[n], end = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, at = from; i < n; i++) {
            start[i] = at;
            at += Character.charCount(s.codePointAt(at));
            end[i] = at;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        var queue = new PriorityQueue<Bigram>();
        for (int i = 0; i + 1 < n; i++) offer(queue, s, start, end, i, i + 1);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            // Stale when either side has been merged away or has grown since the pair was queued.
            int leftLength = end[b.left] - start[b.left], rightLength = end[b.right] - start[b.right];
            if (leftLength == 0 || rightLength == 0 || leftLength + rightLength != b.length || next[b.left] != b.right) continue;
            end[b.left] = end[b.right];
            end[b.right] = start[b.right]; // marks it merged
            next[b.left] = next[b.right];
            if (next[b.left] >= 0) prev[next[b.left]] = b.left;
            if (prev[b.left] >= 0) offer(queue, s, start, end, prev[b.left], b.left);
            if (next[b.left] >= 0) offer(queue, s, start, end, b.left, next[b.left]);
        }
        for (int i = 0; i >= 0; i = next[i]) {
            Integer id = mergeable.get(s.substring(start[i], end[i]));
            if (id != null) {
                out.add(id);
            } else {
                byteFallback(s.substring(start[i], end[i]), out);
            }
        }
    }

    /**
     * The same encoding by the textbook merge: scan all adjacent pairs for the best one, merge it, repeat; O(n^2)
     * for n characters. The twin {@link #encode} is tested and benchmarked against.
     */
    public int[] encodePlain(String text, boolean textStart) {
        if (text.isEmpty()) return new int[0];
        String s = escape(text, textStart);
        var out = new IntList(s.length() + 1);
        vocab.encode(s, this::encodeRunPlain, out);
        return out.toArray();
    }

    private void encodeRunPlain(String s, int from, int to, IntList out) {
        var symbols = new ArrayList<String>();
        s.substring(from, to).codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
        while (true) {
            int best = -1;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer id = mergeable.get(symbols.get(i) + symbols.get(i + 1));
                if (id != null && (best < 0 || scores[id] > bestScore)) {
                    best = i;
                    bestScore = scores[id];
                }
            }
            if (best < 0) break;
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        for (String symbol : symbols) {
            Integer id = mergeable.get(symbol);
            if (id != null) out.add(id);
            else byteFallback(symbol, out);
        }
    }

    private void offer(PriorityQueue<Bigram> queue, String s, int[] start, int[] end, int left, int right) {
        Integer id = mergeable.get(s.substring(start[left], end[right]));
        if (id != null) queue.add(new Bigram(scores[id], left, right, end[right] - start[left]));
    }

    private void byteFallback(String symbol, IntList out) {
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int t = byteTokens[b & 0xFF];
            if (t < 0) {
                if (vocab.unk() < 0) throw new IllegalArgumentException("cannot encode '" + symbol + "': no byte tokens and no unknown token");
                // Like SentencePiece without byte fallback: one unknown token for the whole symbol.
                out.add(vocab.unk());
                return;
            }
            out.add(t);
        }
    }

    /** A candidate merge of symbols {@code left} and {@code right}, {@code length} chars long when queued. */
    private record Bigram(float score, int left, int right, int length) implements Comparable<Bigram> {
        @Override
        public int compareTo(Bigram o) {
            int c = Float.compare(o.score, score);
            return c != 0 ? c : Integer.compare(left, o.left);
        }
    }

    @Override
    public TokenBytes tokenBytes(int previous) {
        if (previous >= vocab.size()) { // found by fuzzing: an out-of-range previous token escaped as an index error
            throw new IllegalArgumentException("token " + previous + " is outside the vocabulary of " + vocab.size());
        }
        return new Pieces(previous < 0 || vocab.type(previous) == TokenType.CONTROL);
    }

    private static final byte[] NO_BYTES = {};

    /** Each token's bytes in turn; a text's first piece (after the start, or a control token) loses its dummy-prefix space. */
    private final class Pieces implements TokenBytes {
        private boolean atStart;

        Pieces(boolean atStart) {
            this.atStart = atStart;
        }

        @Override
        public byte[] next(int t) {
            if (t < 0 || t >= vocab.size()) {
                throw new IllegalArgumentException("token " + t + " is outside the vocabulary of " + vocab.size());
            }
            String text = switch (vocab.type(t)) {
                case BYTE -> null;
                case UNKNOWN -> UNKNOWN_SURFACE;
                case CONTROL, UNUSED, UNDEFINED -> "";
                case NORMAL, USER_DEFINED -> vocab.piece(t).replace(SPACE, ' ');
            };
            if (text == null) {
                atStart = false;
                return new byte[] {(byte) Vocabulary.byteValue(vocab.piece(t))};
            } else if (!text.isEmpty()) {
                // SentencePiece drops the dummy-prefix space of a text's first piece.
                if (atStart && addDummyPrefix && text.charAt(0) == ' ') text = text.substring(1);
                atStart = false;
                return text.getBytes(StandardCharsets.UTF_8);
            } else if (vocab.type(t) == TokenType.CONTROL) {
                atStart = true;
            }
            return NO_BYTES;
        }
    }
}
