package dev.veil.engine.model;

import dev.veil.engine.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a model file by its format: GGUF, or a llama2.c checkpoint with its tokenizer.bin. */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * @param tokenizer llama2.c tokenizer file; when null, {@code tokenizer.bin} or {@code tok<vocab>.bin}
     *                  beside the checkpoint. Ignored for GGUF, which carries its tokenizer.
     */
    public static Model load(Path model, Path tokenizer) throws IOException {
        return load(model, tokenizer, ModelParts.ALL);
    }

    /** Loads {@code parts} of a model: see {@link ModelParts} for what each leaves out. */
    public static Model load(Path model, Path tokenizer, ModelParts parts) throws IOException {
        if (Files.isDirectory(model)) {
            throw new ModelFormatException(model + " is a folder; give a model file (GGUF or llama2.c checkpoint)");
        }
        if (!Files.isRegularFile(model)) throw new ModelFormatException("model file not found: " + model);
        if (isGguf(model)) return GGUFModelLoader.load(model, parts);
        if (!looksLikeLlama2c(model)) throw new ModelFormatException(model + " is neither a GGUF file nor a llama2.c checkpoint");
        if (tokenizer == null && parts.node()) tokenizer = tokenizerBeside(model);
        if (tokenizer != null && !Files.isRegularFile(tokenizer)) throw new ModelFormatException("tokenizer file not found: " + tokenizer);
        return Llama2cLoader.load(model, tokenizer, parts);
    }

    public static boolean isGguf(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        }
    }

    /** Whether the file starts with a plausible llama2.c header (7 int32: dim, hidden, layers, heads, kv heads, ±vocab, seq). */
    static boolean looksLikeLlama2c(Path file) throws IOException {
        byte[] header;
        try (var in = Files.newInputStream(file)) {
            header = in.readNBytes(28);
        }
        if (header.length < 28) return false;
        var b = java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int dim = b.getInt(), hidden = b.getInt(), layers = b.getInt(), heads = b.getInt(), kv = b.getInt(), vocab = b.getInt(), seq = b.getInt();
        return dim > 0 && dim <= 1 << 16 && hidden > 0 && hidden <= 1 << 18 && layers > 0 && layers <= 1024
                && heads > 0 && dim % heads == 0 && kv > 0 && kv <= heads && vocab != 0 && Math.abs(vocab) <= 1 << 22
                && seq > 0 && seq <= 1 << 22;
    }

    /** The llama2.c tokenizer beside a checkpoint: {@code tokenizer.bin}, else a {@code tok<N>.bin}. */
    public static Path tokenizerBeside(Path checkpoint) throws IOException {
        Path dir = checkpoint.toAbsolutePath().getParent();
        Path standard = dir.resolve("tokenizer.bin");
        if (Files.isRegularFile(standard)) return standard;
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("tok\\d+\\.bin")).findFirst()
                    .orElseThrow(() -> new ModelFormatException("no tokenizer.bin beside " + checkpoint + "; pass --tokenizer"));
        }
    }
}
