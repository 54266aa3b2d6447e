package dev.veil.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.PriorityQueue;
import java.util.regex.Matcher;

/**
 * GPT-2 byte-level BPE (GGUF {@code tokenizer.ggml.model = gpt2}: Llama 3, Qwen 2 and 3). The text is split into
 * words by the family's {@link PreTokenizer}; each word's UTF-8 bytes are spelled with GPT-2's byte-to-character
 * map (so every byte is a token and nothing is unknown), then adjacent tokens are merged by the rank of their pair
 * in {@code tokenizer.ggml.merges}, lowest rank first, leftmost first on ties, with a priority queue.
 */
public final class BytePairTokenizer implements Tokenizer {
    /** GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest move to U+0100 and up. */
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE;
            BYTE_TO_CHAR[b] = (char) (printable ? b : 256 + shifted++);
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    private final Vocabulary vocab;
    private final PreTokenizer preTokenizer;
    private final PairTable merges;
    private final int[] byteTokens = new int[256];

    /** @param merges the merge list, best first, each "left right" in byte-level spelling */
    public BytePairTokenizer(Vocabulary vocab, String[] merges, PreTokenizer preTokenizer) {
        this.vocab = vocab;
        this.preTokenizer = preTokenizer;
        this.merges = new PairTable(merges.length);
        for (int rank = 0; rank < merges.length; rank++) {
            String m = merges[rank];
            int space = m.indexOf(' ', 1);
            if (space < 0) throw new IllegalArgumentException("merge " + rank + " '" + m + "' is not 'left right'");
            int left = vocab.id(m.substring(0, space)), right = vocab.id(m.substring(space + 1));
            int merged = vocab.id(m.substring(0, space) + m.substring(space + 1));
            // A merge whose parts or result are not tokens can never apply.
            if (left >= 0 && right >= 0 && merged >= 0) this.merges.putIfAbsent(left, right, rank, merged);
        }
        for (int b = 0; b < 256; b++) byteTokens[b] = vocab.id(String.valueOf(BYTE_TO_CHAR[b]));
    }

    @Override
    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public int[] encode(String text, boolean textStart) {
        var out = new IntList(text.length() / 3 + 4);
        vocab.encode(text, this::encodeRun, out);
        return out.toArray();
    }

    private void encodeRun(String s, int from, int to, IntList out) {
        Matcher m = preTokenizer.pattern.matcher(s).region(from, to);
        int at = from;
        while (m.find()) {
            if (m.start() > at) encodeWord(s.substring(at, m.start()), out);
            if (m.end() > m.start()) encodeWord(m.group(), out);
            at = m.end();
        }
        if (at < to) encodeWord(s.substring(at, to), out);
    }

    private void encodeWord(String word, IntList out) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        if (preTokenizer.ignoreMerges) {
            char[] spelled = new char[bytes.length];
            for (int i = 0; i < bytes.length; i++) spelled[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
            int id = vocab.id(new String(spelled), TokenType.NORMAL);
            if (id >= 0) {
                out.add(id);
                return;
            }
        }
        int n = bytes.length;
        int[] ids = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = byteTokens[bytes[i] & 0xFF];
            if (ids[i] < 0) {
                if (vocab.unk() < 0) throw new IllegalArgumentException("vocabulary has no token for byte 0x" + Integer.toHexString(bytes[i] & 0xFF));
                ids[i] = vocab.unk();
            }
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        var queue = new PriorityQueue<Candidate>();
        for (int i = 0; i + 1 < n; i++) offer(queue, ids, i, i + 1);
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            // Stale when either side has changed since the pair was queued.
            if (ids[c.left] != c.leftId || ids[c.right] != c.rightId || next[c.left] != c.right) continue;
            ids[c.left] = c.merged;
            ids[c.right] = -1;
            next[c.left] = next[c.right];
            if (next[c.left] >= 0) prev[next[c.left]] = c.left;
            if (prev[c.left] >= 0) offer(queue, ids, prev[c.left], c.left);
            if (next[c.left] >= 0) offer(queue, ids, c.left, next[c.left]);
        }
        for (int i = 0; i >= 0; i = next[i]) out.add(ids[i]);
    }

    private void offer(PriorityQueue<Candidate> queue, int[] ids, int left, int right) {
        long found = merges.get(ids[left], ids[right]);
        if (found >= 0) queue.add(new Candidate((int) (found >>> 32), left, right, ids[left], ids[right], (int) found));
    }

    private record Candidate(int rank, int left, int right, int leftId, int rightId, int merged) implements Comparable<Candidate> {
        @Override
        public int compareTo(Candidate o) {
            return rank != o.rank ? Integer.compare(rank, o.rank) : Integer.compare(left, o.left);
        }
    }

    /** Byte-level BPE has no state between tokens: each token's bytes are its own, whatever came before. */
    @Override
    public TokenBytes tokenBytes(int previous) {
        return this::bytes;
    }

    private byte[] bytes(int t) {
        if (t < 0 || t >= vocab.size()) throw new IllegalArgumentException("token " + t + " is outside the vocabulary of " + vocab.size());
        String piece = vocab.piece(t);
        return switch (vocab.type(t)) {
            case NORMAL, UNKNOWN -> {
                var bytes = new ByteArrayOutputStream(piece.length());
                for (int i = 0; i < piece.length(); i++) {
                    char c = piece.charAt(i);
                    int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
                    if (b >= 0) bytes.write(b);
                    else bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                }
                yield bytes.toByteArray();
            }
            case USER_DEFINED -> piece.getBytes(StandardCharsets.UTF_8);
            case BYTE -> new byte[] {(byte) Vocabulary.byteValue(piece)};
            case CONTROL, UNUSED, UNDEFINED -> new byte[0];
        };
    }

    /** Open-addressing map from a token pair to (rank, merged token), packed in a long. */
    private static final class PairTable {
        private final long[] keys;
        private final long[] values;
        private final int mask;

        PairTable(int expected) {
            int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
            keys = new long[capacity];
            values = new long[capacity];
            mask = capacity - 1;
            Arrays.fill(keys, -1);
        }

        void putIfAbsent(int left, int right, int rank, int merged) {
            long key = (long) left << 32 | right;
            int i = slot(key);
            if (keys[i] == -1) {
                keys[i] = key;
                values[i] = (long) rank << 32 | merged;
            }
        }

        /** (rank << 32 | merged), or -1 when the pair does not merge. */
        long get(int left, int right) {
            long key = (long) left << 32 | right;
            int i = slot(key);
            return keys[i] == key ? values[i] : -1;
        }

        private int slot(long key) {
            int i = (int) (Long.hashCode(key * 0x9E3779B97F4A7C15L)) & mask;
            while (keys[i] != -1 && keys[i] != key) i = (i + 1) & mask;
            return i;
        }
    }
}
