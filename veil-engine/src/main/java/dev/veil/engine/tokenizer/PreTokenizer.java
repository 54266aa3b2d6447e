package dev.veil.engine.tokenizer;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The regex that splits text into words before byte-level BPE, per model family (GGUF {@code tokenizer.ggml.pre}).
 * BPE merges never cross a word boundary. {@code \s} is Unicode white space, as in the Rust and Python regex
 * engines the reference tokenizers use.
 */
public enum PreTokenizer {
    /** GPT-2's original split. */
    GPT2("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", false,
            "gpt2", "gpt-2", "default"),
    /** Llama 3: numbers in groups of up to three; a word already in the vocabulary is one token (ignore_merges). */
    LLAMA3("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
            + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", true, "llama-bpe", "llama3", "llama-v3", "smaug-bpe"),
    /** Qwen 2 and 3: like Llama 3, but every digit alone. */
    QWEN2("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
            + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", false, "qwen2", "deepseek-r1-qwen");

    final Pattern pattern;
    /** Whether a word that is itself a token skips the merges (Hugging Face's {@code ignore_merges}). */
    final boolean ignoreMerges;
    private final String[] names;

    PreTokenizer(String regex, boolean ignoreMerges, String... names) {
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        this.ignoreMerges = ignoreMerges;
        this.names = names;
    }

    /** The pre-tokenizer GGUF names {@code name} ({@code tokenizer.ggml.pre}); null or absent means GPT-2's. */
    public static PreTokenizer forName(String name) {
        if (name == null) return GPT2;
        for (PreTokenizer p : values()) if (Arrays.asList(p.names).contains(name)) return p;
        var known = Arrays.stream(values()).flatMap(p -> Arrays.stream(p.names)).toList();
        throw new IllegalArgumentException("unsupported pre-tokenizer '" + name + "' (supported: " + String.join(", ", known) + ")");
    }
}
