package dev.veil.engine.tokenizer;

import dev.veil.engine.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece {@code tokenizer.model} file (a {@code sentencepiece.ModelProto} protobuf), read with just the
 * protobuf decoding it needs: the pieces (piece, score, type), the trainer's model type and special ids, and the
 * normalizer's dummy-prefix setting. Only BPE models with the identity normalizer (Llama 1 and 2) are accepted.
 */
public record SentencePieceModel(String[] pieces, float[] scores, TokenType[] types, int unk, int bos, int eos,
        boolean addDummyPrefix) {

    private static final int BPE = 2;

    public static SentencePieceModel read(Path file) throws IOException {
        try {
            return parse(Files.readAllBytes(file));
        } catch (ModelFormatException | java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new ModelFormatException(file + ": not a SentencePiece model (" + e.getMessage() + ")", e);
        }
    }

    static SentencePieceModel parse(byte[] bytes) {
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<TokenType> types = new ArrayList<>();
        int modelType = 1, unk = 0, bos = 1, eos = 2; // the proto's defaults
        boolean addDummyPrefix = true, removeExtraWhitespaces = true;
        String normalizer = "identity";
        var model = new Proto(ByteBuffer.wrap(bytes));
        while (model.hasMore()) {
            switch (model.tag()) {
                case 1 -> { // SentencePiece { piece = 1; score = 2; type = 3 }
                    var p = model.message();
                    String piece = null;
                    float score = 0;
                    TokenType type = TokenType.NORMAL;
                    while (p.hasMore()) {
                        switch (p.tag()) {
                            case 1 -> piece = p.string();
                            case 2 -> score = p.fixed32();
                            case 3 -> type = TokenType.of((int) p.varint());
                            default -> p.skip();
                        }
                    }
                    if (piece == null || piece.isEmpty()) throw new ModelFormatException("piece " + pieces.size() + " is empty");
                    pieces.add(piece);
                    scores.add(score);
                    types.add(type);
                }
                case 2 -> { // TrainerSpec
                    var t = model.message();
                    while (t.hasMore()) {
                        switch (t.tag()) {
                            case 3 -> modelType = (int) t.varint();
                            case 40 -> unk = (int) t.varint();
                            case 41 -> bos = (int) t.varint();
                            case 42 -> eos = (int) t.varint();
                            default -> t.skip();
                        }
                    }
                }
                case 3 -> { // NormalizerSpec
                    var n = model.message();
                    while (n.hasMore()) {
                        switch (n.tag()) {
                            case 1 -> normalizer = n.string();
                            case 3 -> addDummyPrefix = n.varint() != 0;
                            case 4 -> removeExtraWhitespaces = n.varint() != 0;
                            default -> n.skip();
                        }
                    }
                }
                default -> model.skip();
            }
        }
        if (pieces.isEmpty()) throw new ModelFormatException("no pieces");
        if (modelType != BPE) throw new ModelFormatException("model type " + modelType + " is not BPE (2); only BPE models are supported");
        if (!normalizer.equals("identity") || removeExtraWhitespaces) {
            throw new ModelFormatException("normalizer '" + normalizer + "'" + (removeExtraWhitespaces ? " with remove_extra_whitespaces" : "")
                    + " is not supported (only identity, as Llama uses)");
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        int n = pieces.size();
        return new SentencePieceModel(pieces.toArray(String[]::new), s, types.toArray(TokenType[]::new),
                unk < n ? unk : -1, bos < n ? bos : -1, eos < n ? eos : -1, addDummyPrefix);
    }

    public Vocabulary vocabulary() {
        return new Vocabulary(pieces, types, bos, eos, unk, true, new int[0], null);
    }

    public SentencePieceTokenizer tokenizer() {
        return new SentencePieceTokenizer(vocabulary(), scores, addDummyPrefix);
    }

    /** The same tokenizer as GGUF metadata ({@code tokenizer.ggml.*}, as llama.cpp's converters write it). */
    public Map<String, Object> ggufMetadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", "llama");
        m.put("tokenizer.ggml.tokens", pieces.clone());
        m.put("tokenizer.ggml.scores", scores.clone());
        int[] codes = new int[types.length];
        for (int i = 0; i < codes.length; i++) codes[i] = types[i].code();
        m.put("tokenizer.ggml.token_type", codes);
        m.put("tokenizer.ggml.bos_token_id", bos);
        m.put("tokenizer.ggml.eos_token_id", eos);
        m.put("tokenizer.ggml.unknown_token_id", unk);
        m.put("tokenizer.ggml.add_space_prefix", addDummyPrefix);
        return m;
    }

    /** Reads protobuf wire format: a tag (field number, wire type) then its value, until the buffer ends. */
    private static final class Proto {
        private final ByteBuffer b;
        private int wireType;

        Proto(ByteBuffer b) {
            this.b = b.order(ByteOrder.LITTLE_ENDIAN);
        }

        boolean hasMore() {
            return b.hasRemaining();
        }

        int tag() {
            long key = varint();
            wireType = (int) (key & 7);
            return (int) (key >>> 3);
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte x = b.get();
                v |= (long) (x & 0x7F) << shift;
                if (x >= 0) return v;
            }
            throw new ModelFormatException("varint longer than 10 bytes");
        }

        float fixed32() {
            expect(5);
            return b.getFloat();
        }

        Proto message() {
            expect(2);
            int len = length();
            Proto p = new Proto(b.slice(b.position(), len));
            b.position(b.position() + len);
            return p;
        }

        String string() {
            expect(2);
            int len = length();
            String s = new String(b.array(), b.arrayOffset() + b.position(), len, StandardCharsets.UTF_8);
            b.position(b.position() + len);
            return s;
        }

        void skip() {
            int n = switch (wireType) {
                case 0 -> {
                    varint();
                    yield 0;
                }
                case 1 -> 8;
                case 2 -> length();
                case 5 -> 4;
                default -> throw new ModelFormatException("unsupported wire type " + wireType);
            };
            b.position(b.position() + n);
        }

        private int length() {
            long len = varint();
            if (len < 0 || len > b.remaining()) throw new ModelFormatException("field length " + len + " runs past the end");
            return (int) len;
        }

        private void expect(int type) {
            if (wireType != type) throw new ModelFormatException("wire type " + wireType + " where " + type + " was expected");
        }
    }
}
