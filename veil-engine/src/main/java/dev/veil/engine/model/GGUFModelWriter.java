package dev.veil.engine.model;

import static dev.veil.engine.model.GGUFNames.*;

import dev.veil.engine.gguf.GGUFValueType;
import dev.veil.engine.gguf.GGUFWriter;
import dev.veil.engine.gguf.TensorSources;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.engine.tokenizer.SentencePieceModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes Llama-family models as GGUF the way llama.cpp names and shapes them, so {@link GGUFModelLoader} (and
 * llama.cpp) read them back. Weight matrices are stored as the chosen type where their rows are whole blocks of
 * it and as F32 otherwise; norms, biases and RoPE factors always as F32.
 */
public final class GGUFModelWriter {
    private GGUFModelWriter() {}

    /** The metadata of {@code c} under its architecture's keys. */
    public static void putConfig(GGUFWriter w, LlamaConfig c, String name) {
        String p = c.architecture() + ".";
        w.put(ARCHITECTURE, c.architecture());
        w.put("general.name", name);
        w.put(p + "context_length", GGUFValueType.UINT32, c.contextLength());
        w.put(p + "embedding_length", GGUFValueType.UINT32, c.dim());
        w.put(p + "feed_forward_length", GGUFValueType.UINT32, c.hiddenDim());
        w.put(p + "block_count", GGUFValueType.UINT32, c.layers());
        w.put(p + "attention.head_count", GGUFValueType.UINT32, c.heads());
        w.put(p + "attention.head_count_kv", GGUFValueType.UINT32, c.kvHeads());
        w.put(p + "attention.key_length", GGUFValueType.UINT32, c.headDim());
        w.put(p + "attention.value_length", GGUFValueType.UINT32, c.headDim());
        w.put(p + "rope.dimension_count", GGUFValueType.UINT32, c.headDim());
        w.put(p + "rope.freq_base", GGUFValueType.FLOAT32, c.ropeTheta());
        w.put(p + "attention.layer_norm_rms_epsilon", GGUFValueType.FLOAT32, c.rmsEps());
    }

    /** A SentencePiece vocabulary as {@code tokenizer.ggml.*} metadata (tokenizer model "llama"), ids as UINT32 like llama.cpp. */
    public static void putVocabulary(GGUFWriter w, SentencePieceModel v) {
        v.ggufMetadata().forEach((key, value) -> {
            if (!key.endsWith("_token_id")) w.put(key, value);
            else if (((Number) value).intValue() >= 0) w.put(key, GGUFValueType.UINT32, value);
        });
    }

    /** Where the tensors being written come from, by GGUF name. */
    public interface Weights {
        /** The rows of weight matrix {@code name}, {@code rows × cols}. */
        TensorSources.RowFiller matrix(String name, int rows, int cols);

        /** The values of 1-D tensor {@code name} (norm gains, biases). */
        float[] vector(String name, int size);
    }

    /**
     * Adds a model's tensors in llama.cpp's order: weight matrices as {@code type} (F32 where a row is not a whole
     * number of blocks, with a note), 1-D tensors as F32; {@code output.weight} only when not tied, biases when
     * {@code qkvBias}, QK norms when the config has them, {@code rope_freqs.weight} when it has RoPE factors.
     */
    public static void addTensors(GGUFWriter w, LlamaConfig c, boolean tiedOutput, boolean qkvBias, GGMLType type,
                                  Weights weights, Consumer<String> notes) {
        var m = new Matrices(w, type, notes);
        m.add(TOKEN_EMBD, c.vocabSize(), c.dim(), weights);
        vector(w, OUTPUT_NORM, weights.vector(OUTPUT_NORM, c.dim()));
        if (!tiedOutput) m.add(OUTPUT, c.vocabSize(), c.dim(), weights);
        if (c.ropeFreqFactors() != null) vector(w, ROPE_FREQS, c.ropeFreqFactors());
        for (int l = 0; l < c.layers(); l++) {
            vector(w, blk(l, ATTN_NORM), weights.vector(blk(l, ATTN_NORM), c.dim()));
            m.add(blk(l, ATTN_Q), c.qDim(), c.dim(), weights);
            m.add(blk(l, ATTN_K), c.kvDim(), c.dim(), weights);
            m.add(blk(l, ATTN_V), c.kvDim(), c.dim(), weights);
            if (qkvBias) {
                vector(w, blk(l, ATTN_Q_BIAS), weights.vector(blk(l, ATTN_Q_BIAS), c.qDim()));
                vector(w, blk(l, ATTN_K_BIAS), weights.vector(blk(l, ATTN_K_BIAS), c.kvDim()));
                vector(w, blk(l, ATTN_V_BIAS), weights.vector(blk(l, ATTN_V_BIAS), c.kvDim()));
            }
            if (c.qkNorm()) {
                vector(w, blk(l, ATTN_Q_NORM), weights.vector(blk(l, ATTN_Q_NORM), c.headDim()));
                vector(w, blk(l, ATTN_K_NORM), weights.vector(blk(l, ATTN_K_NORM), c.headDim()));
            }
            m.add(blk(l, ATTN_OUTPUT), c.dim(), c.qDim(), weights);
            vector(w, blk(l, FFN_NORM), weights.vector(blk(l, FFN_NORM), c.dim()));
            m.add(blk(l, FFN_GATE), c.hiddenDim(), c.dim(), weights);
            m.add(blk(l, FFN_UP), c.hiddenDim(), c.dim(), weights);
            m.add(blk(l, FFN_DOWN), c.dim(), c.hiddenDim(), weights);
        }
    }

    /**
     * Writes a fully loaded model with {@code vocab} as its tokenizer, weight matrices as {@code type}. An LM head
     * that is the embedding tensor itself is written once (tied). Returns notes on tensors kept as F32.
     */
    public static List<String> write(Model m, SentencePieceModel vocab, GGMLType type, String name, Path out) throws IOException {
        if (m.node() == null || m.linear() == null) throw new IllegalArgumentException("writing a model needs all of its parts");
        LlamaConfig c = m.config();
        NodeParams n = m.node();
        LinearWeights lw = m.linear();
        Map<String, FloatTensor> matrices = new HashMap<>();
        Map<String, float[]> vectors = new HashMap<>();
        matrices.put(TOKEN_EMBD, n.tokenEmbedding());
        matrices.put(OUTPUT, lw.lmHead());
        vectors.put(OUTPUT_NORM, n.finalNorm());
        for (int l = 0; l < c.layers(); l++) {
            matrices.put(blk(l, ATTN_Q), lw.wq()[l]);
            matrices.put(blk(l, ATTN_K), lw.wk()[l]);
            matrices.put(blk(l, ATTN_V), lw.wv()[l]);
            matrices.put(blk(l, ATTN_OUTPUT), lw.wo()[l]);
            matrices.put(blk(l, FFN_GATE), lw.gate()[l]);
            matrices.put(blk(l, FFN_UP), lw.up()[l]);
            matrices.put(blk(l, FFN_DOWN), lw.down()[l]);
            vectors.put(blk(l, ATTN_NORM), n.attnNorm()[l]);
            vectors.put(blk(l, FFN_NORM), n.ffnNorm()[l]);
            if (c.qkNorm()) {
                vectors.put(blk(l, ATTN_Q_NORM), n.qNorm()[l]);
                vectors.put(blk(l, ATTN_K_NORM), n.kNorm()[l]);
            }
            if (n.qkvBias() != null) {
                float[] b = n.qkvBias()[l];
                vectors.put(blk(l, ATTN_Q_BIAS), Arrays.copyOfRange(b, 0, c.qDim()));
                vectors.put(blk(l, ATTN_K_BIAS), Arrays.copyOfRange(b, c.qDim(), c.qDim() + c.kvDim()));
                vectors.put(blk(l, ATTN_V_BIAS), Arrays.copyOfRange(b, c.qDim() + c.kvDim(), b.length));
            }
        }
        var w = new GGUFWriter();
        putConfig(w, c, name);
        w.put("general.file_type", GGUFValueType.UINT32, type.id);
        putVocabulary(w, vocab);
        List<String> notes = new ArrayList<>();
        addTensors(w, c, lw.lmHead() == n.tokenEmbedding(), n.qkvBias() != null, type, new Weights() {
            @Override
            public TensorSources.RowFiller matrix(String tensor, int rows, int cols) {
                FloatTensor t = matrices.get(tensor);
                return (r, dst) -> t.copyRow((int) r, cols, dst, 0);
            }

            @Override
            public float[] vector(String tensor, int size) {
                return vectors.get(tensor);
            }
        }, notes::add);
        w.write(out);
        return notes;
    }

    /**
     * Converts a llama2.c checkpoint and its tokenizer.bin to GGUF ({@code veil convert}): same tensors as
     * llama.cpp's converter writes, the tokenizer in {@code tokenizer.ggml.*}. Returns notes on tensors kept as F32.
     */
    public static List<String> convertLlama2c(Path checkpoint, Path tokenizer, GGMLType type, Path out) throws IOException {
        Model m = Llama2cLoader.load(checkpoint, tokenizer, ModelParts.ALL);
        var vocab = Llama2cLoader.readVocabulary(tokenizer, m.config().vocabSize());
        String name = checkpoint.getFileName().toString().replaceFirst("\\.bin$", "");
        return write(m, vocab, type, name, out);
    }

    /** A 1-D F32 tensor. */
    public static void vector(GGUFWriter w, String name, float[] values) {
        w.addTensor(name, GGMLType.F32, new long[] {values.length}, TensorSources.vector(GGMLType.F32, values));
    }

    /** Adds weight matrices as {@code type}, or as F32 (with a note) where a row is not a whole number of blocks. */
    private record Matrices(GGUFWriter w, GGMLType type, Consumer<String> notes) {
        Matrices {
            if (!TensorSources.ENCODABLE.contains(type)) {
                throw new IllegalArgumentException("cannot write weights as " + type + " (supported: " + TensorSources.ENCODABLE + ")");
            }
        }

        void add(String name, int rows, int cols, Weights weights) {
            GGMLType as = type;
            if (!TensorSources.canEncode(type, cols)) {
                notes.accept(name + " kept as F32: its " + cols + " columns are not a multiple of " + type + "'s block of " + type.blockSize);
                as = GGMLType.F32;
            }
            w.addTensor(name, as, new long[] {cols, rows}, TensorSources.rows(as, rows, cols, weights.matrix(name, rows, cols)));
        }
    }
}
