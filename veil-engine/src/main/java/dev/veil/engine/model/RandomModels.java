package dev.veil.engine.model;

import static dev.veil.engine.model.GGUFNames.*;

import dev.veil.engine.gguf.GGUFValueType;
import dev.veil.engine.gguf.GGUFWriter;
import dev.veil.engine.gguf.TensorSources;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.engine.tokenizer.SentencePieceModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic random-weight GGUF models of any {@link ModelShape} and tensor type, for tests and benchmarks.
 * Every value depends only on (seed, tensor name, row), so the same seed gives the same file, and files of
 * different types hold quantizations of the same underlying weights. Matrices are uniform with standard
 * deviation 1/√cols (so activations keep their scale through the layers), norm gains 1 ± 0.25, biases ± 0.5.
 */
public final class RandomModels {
    private RandomModels() {}

    /**
     * Writes a model of {@code shape} with weight matrices as {@code type} (F32 where a row is not a whole
     * number of blocks) and {@code vocabulary} (cut or grown by {@link SyntheticVocabulary} to the shape's size; null for a synthetic one).
     * Returns notes on tensors kept as F32.
     */
    public static List<String> write(ModelShape shape, GGMLType type, long seed, SentencePieceModel vocabulary, Path out)
            throws IOException {
        LlamaConfig c = shape.config();
        var vocab = vocabulary == null ? SyntheticVocabulary.of(c.vocabSize()) : SyntheticVocabulary.resize(vocabulary, c.vocabSize());
        var w = new GGUFWriter();
        GGUFModelWriter.putConfig(w, c, shape.name() + " random seed " + seed);
        w.put("general.file_type", GGUFValueType.UINT32, type.id);
        RopeScaling rs = shape.ropeScaling();
        if (rs != null) {
            // Both forms Llama 3 files carry: the metadata, and rope_freqs.weight (which the loader prefers).
            String p = c.architecture() + ".rope.scaling.";
            w.put(p + "type", "llama3");
            w.put(p + "factor", GGUFValueType.FLOAT32, rs.factor());
            w.put(p + "low_freq_factor", GGUFValueType.FLOAT32, rs.lowFreqFactor());
            w.put(p + "high_freq_factor", GGUFValueType.FLOAT32, rs.highFreqFactor());
            w.put(p + "original_context_length", GGUFValueType.UINT32, rs.originalContext());
        }
        GGUFModelWriter.putVocabulary(w, vocab);
        List<String> notes = new ArrayList<>();
        GGUFModelWriter.addTensors(w, c, shape.tiedOutput(), shape.qkvBias(), type, new GGUFModelWriter.Weights() {
            @Override
            public TensorSources.RowFiller matrix(String name, int rows, int cols) {
                long s = tensorSeed(seed, name);
                double half = Math.sqrt(3.0 / cols); // uniform(-h, h) has standard deviation h/√3
                return (r, dst) -> uniform(s, r, dst, 0, half);
            }

            @Override
            public float[] vector(String name, int size) {
                float[] v = new float[size];
                boolean bias = name.endsWith(".bias");
                uniform(tensorSeed(seed, name), 0, v, bias ? 0 : 1, bias ? 0.5 : 0.25);
                return v;
            }
        }, notes::add);
        w.write(out);
        return notes;
    }

    /**
     * The model of {@code shape}, {@code type} and {@code seed} (synthetic vocabulary) in {@code dir}, written on first
     * use: for benchmarks that would otherwise rebuild a large model on every run. The name carries a generator
     * version, bumped whenever the weights it makes change.
     */
    public static Path cached(ModelShape shape, GGMLType type, long seed, Path dir) throws IOException {
        Path file = dir.resolve(shape.name() + "-" + type + "-seed" + seed + "-v1.gguf");
        if (!java.nio.file.Files.isRegularFile(file)) {
            java.nio.file.Files.createDirectories(dir);
            write(shape, type, seed, null, file);
        }
        return file;
    }

    /** Fills dst with center + uniform(-half, half), from a generator of (tensor seed, row) alone. */
    private static void uniform(long tensorSeed, long row, float[] dst, double center, double half) {
        var random = new SplittableRandom(mix(tensorSeed + row * 0xD1B54A32D192ED03L));
        for (int i = 0; i < dst.length; i++) dst[i] = (float) (center + (2 * random.nextDouble() - 1) * half);
    }

    private static long tensorSeed(long seed, String name) {
        long h = seed * 0xBF58476D1CE4E5B9L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) h = (h ^ b) * 0x100000001B3L;
        return mix(h);
    }

    /** Stafford's 64-bit finalizer: nearby inputs give unrelated generator seeds. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
