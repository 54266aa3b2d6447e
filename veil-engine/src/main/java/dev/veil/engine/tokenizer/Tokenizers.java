package dev.veil.engine.tokenizer;

import dev.veil.engine.ModelFormatException;
import java.lang.reflect.Array;
import java.util.Map;

/**
 * Builds the tokenizer a GGUF file describes in its {@code tokenizer.ggml.*} metadata. Metadata values follow
 * the GGUF reader's mapping: strings as String, integers as a Number, booleans as Boolean, arrays as Java arrays
 * (String[], float[], int[], ... or boxed).
 */
public final class Tokenizers {
    private Tokenizers() {}

    public static Tokenizer fromGguf(Map<String, Object> metadata) {
        Object model = metadata.get("tokenizer.ggml.model");
        try {
            if ("llama".equals(model)) {
                Vocabulary vocab = vocabulary(metadata, true);
                float[] scores = metadata.containsKey("tokenizer.ggml.scores")
                        ? floats(metadata.get("tokenizer.ggml.scores"), "tokenizer.ggml.scores") : new float[vocab.size()];
                return new SentencePieceTokenizer(vocab, scores, bool(metadata, "tokenizer.ggml.add_space_prefix", true));
            }
            if ("gpt2".equals(model)) {
                Vocabulary vocab = vocabulary(metadata, false);
                Object merges = metadata.get("tokenizer.ggml.merges");
                if (!(merges instanceof String[] m)) throw new ModelFormatException("gpt2 tokenizer without tokenizer.ggml.merges");
                Object pre = metadata.get("tokenizer.ggml.pre");
                return new BytePairTokenizer(vocab, m, PreTokenizer.forName(pre == null ? null : pre.toString()));
            }
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new ModelFormatException("bad tokenizer metadata: " + e.getMessage(), e);
        }
        throw new ModelFormatException("unsupported tokenizer model '" + model + "' (supported: llama, gpt2)");
    }

    private static Vocabulary vocabulary(Map<String, Object> metadata, boolean sentencePiece) {
        if (!(metadata.get("tokenizer.ggml.tokens") instanceof String[] tokens)) {
            throw new ModelFormatException("tokenizer metadata has no tokenizer.ggml.tokens string array");
        }
        TokenType[] types = null;
        if (metadata.containsKey("tokenizer.ggml.token_type")) {
            int[] codes = ints(metadata.get("tokenizer.ggml.token_type"), "tokenizer.ggml.token_type");
            types = new TokenType[codes.length];
            for (int i = 0; i < codes.length; i++) types[i] = TokenType.of(codes[i]);
        }
        int bos = intValue(metadata, "tokenizer.ggml.bos_token_id", sentencePiece ? 1 : -1);
        int eos = intValue(metadata, "tokenizer.ggml.eos_token_id", sentencePiece ? 2 : -1);
        int unk = intValue(metadata, "tokenizer.ggml.unknown_token_id", sentencePiece ? 0 : -1);
        int[] stops = {intValue(metadata, "tokenizer.ggml.eot_token_id", -1), intValue(metadata, "tokenizer.ggml.eom_token_id", -1)};
        for (int id : new int[] {bos, eos, unk}) {
            if (id >= tokens.length) throw new ModelFormatException("special token id " + id + " is outside the vocabulary of " + tokens.length);
        }
        Object template = metadata.get("tokenizer.chat_template");
        return new Vocabulary(tokens, types, bos, eos, unk, bool(metadata, "tokenizer.ggml.add_bos_token", bos >= 0), stops,
                template instanceof String s ? s : null);
    }

    static int intValue(Map<String, Object> metadata, String key, int fallback) {
        return metadata.get(key) instanceof Number n ? n.intValue() : fallback;
    }

    static boolean bool(Map<String, Object> metadata, String key, boolean fallback) {
        return metadata.get(key) instanceof Boolean b ? b : fallback;
    }

    /** Any array of numbers (int[], long[], Integer[], ...) as int[]. */
    static int[] ints(Object array, String key) {
        if (array instanceof int[] a) return a;
        if (array == null || !array.getClass().isArray()) throw new ModelFormatException(key + " is not an array");
        int[] out = new int[Array.getLength(array)];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) Array.get(array, i)).intValue();
        return out;
    }

    static float[] floats(Object array, String key) {
        if (array instanceof float[] a) return a;
        if (array == null || !array.getClass().isArray()) throw new ModelFormatException(key + " is not an array");
        float[] out = new float[Array.getLength(array)];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) Array.get(array, i)).floatValue();
        return out;
    }
}
