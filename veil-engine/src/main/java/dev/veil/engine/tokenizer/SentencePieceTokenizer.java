package dev.veil.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece-style BPE as Llama 2 and llama2.c use it: a dummy-prefix space, "▁" for spaces, merges of
 * adjacent pieces by best score, and byte fallback to {@code <0xXX>} tokens for characters not in the vocabulary.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    private static final String SPACE = "\u2581";

    private final String[] pieces;
    private final float[] scores;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int[] byteTokens = new int[256];
    private final int bos, eos;

    /** @param pieces vocabulary as SentencePiece spells it ("▁" for space, "&lt;0x0A&gt;" for bytes) */
    public SentencePieceTokenizer(String[] pieces, float[] scores, int bos, int eos) {
        this.pieces = pieces;
        this.scores = scores;
        this.bos = bos;
        this.eos = eos;
        java.util.Arrays.fill(byteTokens, -1);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
            int b = byteValue(pieces[i]);
            if (b >= 0 && byteTokens[b] < 0) byteTokens[b] = i;
        }
    }

    @Override
    public int[] encode(String text) {
        if (text.isEmpty()) return new int[0];
        String s = SPACE + text.replace(" ", SPACE);
        var tokens = new java.util.ArrayList<Integer>();
        s.codePoints().forEach(cp -> {
            String ch = new String(Character.toChars(cp));
            Integer id = ids.get(ch);
            if (id != null) {
                tokens.add(id);
            } else {
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
                    int t = byteTokens[b & 0xFF];
                    if (t < 0) throw new IllegalArgumentException("vocabulary has no byte token for 0x" + Integer.toHexString(b & 0xFF));
                    tokens.add(t);
                }
            }
        });
        // Merge the adjacent pair whose merged piece has the highest score, until none is in the vocabulary.
        while (true) {
            float best = Float.NEGATIVE_INFINITY;
            int bestId = -1, bestAt = -1;
            for (int i = 0; i + 1 < tokens.size(); i++) {
                Integer id = ids.get(pieces[tokens.get(i)] + pieces[tokens.get(i + 1)]);
                if (id != null && scores[id] > best) {
                    best = scores[id];
                    bestId = id;
                    bestAt = i;
                }
            }
            if (bestAt < 0) break;
            tokens.set(bestAt, bestId);
            tokens.remove(bestAt + 1);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int previous, int[] tokens) {
        var bytes = new ByteArrayOutputStream();
        for (int t : tokens) {
            if (t == bos || t == eos || t < 0 || t >= pieces.length) { previous = t; continue; }
            int b = byteValue(pieces[t]);
            if (b >= 0) {
                bytes.write(b);
            } else {
                String piece = pieces[t].replace(SPACE, " ");
                // SentencePiece drops the dummy-prefix space of the first piece.
                if ((previous < 0 || previous == bos) && piece.startsWith(" ")) piece = piece.substring(1);
                bytes.writeBytes(piece.getBytes(StandardCharsets.UTF_8));
            }
            previous = t;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public String piece(int id) { return pieces[id]; }
    @Override public int bos() { return bos; }
    @Override public int eos() { return eos; }

    /** The byte a {@code <0xXX>} piece stands for, or -1. */
    private static int byteValue(String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return Integer.parseInt(piece.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }
}
