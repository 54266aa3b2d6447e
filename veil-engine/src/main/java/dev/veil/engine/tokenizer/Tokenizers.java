package dev.veil.engine.tokenizer;

import dev.veil.engine.model.ModelFormatException;
import java.util.Map;

/**
 * Builds the tokenizer a GGUF file describes in its {@code tokenizer.ggml.*} metadata. Metadata values follow
 * the GGUF reader's mapping: strings as String, integers as a Number, arrays as Java arrays (String[],
 * float[], int[], ...).
 */
public final class Tokenizers {
    private Tokenizers() {}

    public static Tokenizer fromGguf(Map<String, Object> metadata) {
        Object model = metadata.get("tokenizer.ggml.model");
        if ("llama".equals(model)) {
            String[] tokens = (String[]) metadata.get("tokenizer.ggml.tokens");
            float[] scores = (float[]) metadata.get("tokenizer.ggml.scores");
            if (scores == null) scores = new float[tokens.length];
            return new SentencePieceTokenizer(tokens, scores, intValue(metadata, "tokenizer.ggml.bos_token_id", 1),
                    intValue(metadata, "tokenizer.ggml.eos_token_id", 2));
        }
        throw new ModelFormatException("unsupported tokenizer model '" + model + "' (supported: llama)");
    }

    static int intValue(Map<String, Object> metadata, String key, int fallback) {
        return metadata.get(key) instanceof Number n ? n.intValue() : fallback;
    }
}
