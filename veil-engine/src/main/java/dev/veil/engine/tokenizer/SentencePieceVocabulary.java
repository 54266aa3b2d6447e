package dev.veil.engine.tokenizer;

import dev.veil.engine.model.ModelFormatException;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;

/**
 * A SentencePiece (Llama 2 style) vocabulary: pieces as SentencePiece spells them ("▁" for space, {@code <0xXX>}
 * for byte fallback) with their merge scores. Token 0 is {@code <unk>}, 1 BOS, 2 EOS.
 */
public record SentencePieceVocabulary(String[] pieces, float[] scores) {
    public static final int UNK = 0, BOS = 1, EOS = 2;
    /** GGUF {@code tokenizer.ggml.token_type} values. */
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;
    private static final String SPACE = "\u2581";

    public SentencePieceVocabulary {
        if (pieces.length != scores.length) throw new IllegalArgumentException(pieces.length + " pieces but " + scores.length + " scores");
    }

    public int size() {
        return pieces.length;
    }

    /** A llama2.c tokenizer.bin: int32 max_token_length, then per token f32 score, int32 length, bytes. */
    public static SentencePieceVocabulary readLlama2c(Path file, int vocab) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        String[] pieces = new String[vocab];
        float[] scores = new float[vocab];
        try {
            b.getInt();
            for (int i = 0; i < vocab; i++) {
                scores[i] = b.getFloat();
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) throw new ModelFormatException(file + ": bad token length " + len);
                byte[] bytes = new byte[len];
                b.get(bytes);
                // llama2.c stores spaces as ' ' and BOS/EOS as "\n<s>\n"; keep SentencePiece's spelling.
                String piece = new String(bytes, StandardCharsets.UTF_8);
                pieces[i] = i == BOS || i == EOS ? piece.strip() : piece.replace(" ", SPACE);
            }
        } catch (BufferUnderflowException e) {
            throw new ModelFormatException(file + ": tokenizer file ends before " + vocab + " tokens");
        }
        return new SentencePieceVocabulary(pieces, scores);
    }

    /** The number of tokens a llama2.c tokenizer.bin holds (read to its end). */
    public static int countLlama2c(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int n = 0;
        try {
            b.getInt();
            while (b.hasRemaining()) {
                b.getFloat();
                b.position(b.position() + b.getInt());
                n++;
            }
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new ModelFormatException(file + ": not a llama2.c tokenizer file");
        }
        return n;
    }

    /** GGUF token types: UNKNOWN for token 0, CONTROL for BOS and EOS, BYTE for byte pieces, else NORMAL. */
    public int[] tokenTypes() {
        int[] types = new int[pieces.length];
        for (int i = 0; i < types.length; i++) {
            types[i] = i == UNK ? UNKNOWN : i == BOS || i == EOS ? CONTROL : isByte(pieces[i]) ? BYTE : NORMAL;
        }
        return types;
    }

    public SentencePieceTokenizer tokenizer() {
        return new SentencePieceTokenizer(pieces, scores, BOS, EOS);
    }

    /**
     * A vocabulary of {@code size} tokens with no trained data: {@code <unk>}, BOS, EOS, the 256 byte pieces,
     * "▁" and the printable ASCII characters, then merges (see {@link #resize}).
     */
    public static SentencePieceVocabulary synthetic(int size) {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) pieces.add(String.format("<0x%02X>", b));
        pieces.add(SPACE);
        for (char ch = '!'; ch <= '~'; ch++) pieces.add(String.valueOf(ch));
        float[] scores = new float[pieces.size()];
        for (int i = 259; i < scores.length; i++) scores[i] = -1e6f - i; // characters rank below every merge
        return new SentencePieceVocabulary(pieces.toArray(String[]::new), scores).resize(size);
    }

    /**
     * This vocabulary cut or grown to {@code size} tokens. Growing appends merges, each the concatenation of two
     * pieces already present (the second not starting a word), enumerated shortest-first and scored below all
     * existing pieces, so the result is still a valid BPE vocabulary that encodes any text.
     */
    public SentencePieceVocabulary resize(int size) {
        if (size < 259) throw new IllegalArgumentException("a SentencePiece vocabulary needs at least 259 tokens (specials and bytes), got " + size);
        if (size <= pieces.length) return new SentencePieceVocabulary(Arrays.copyOf(pieces, size), Arrays.copyOf(scores, size));
        List<String> all = new ArrayList<>(Arrays.asList(pieces));
        var seen = new HashSet<>(all);
        List<String> parts = new ArrayList<>();
        for (int i = 3; i < pieces.length; i++) if (!isByte(pieces[i])) parts.add(pieces[i]);
        if (parts.isEmpty()) throw new IllegalArgumentException("vocabulary has no pieces to merge");
        float score = Float.POSITIVE_INFINITY;
        for (float s : scores) score = Math.min(score, s);
        float[] grown = Arrays.copyOf(scores, size);
        // Diagonal walk over pairs (i, j) of a growing list: every new piece is a merge of two earlier ones.
        for (int sum = 0; all.size() < size; sum++) {
            if (sum > 2 * parts.size()) throw new IllegalArgumentException("no more merges to grow the vocabulary to " + size);
            for (int i = 0; i <= sum && all.size() < size; i++) {
                int j = sum - i;
                if (i >= parts.size() || j >= parts.size() || parts.get(j).startsWith(SPACE)) continue;
                String merged = parts.get(i) + parts.get(j);
                if (seen.add(merged)) {
                    grown[all.size()] = score = Math.min(score - 1, Math.nextDown(score));
                    all.add(merged);
                    parts.add(merged);
                }
            }
        }
        return new SentencePieceVocabulary(all.toArray(String[]::new), grown);
    }

    static boolean isByte(String piece) {
        return piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">");
    }
}
