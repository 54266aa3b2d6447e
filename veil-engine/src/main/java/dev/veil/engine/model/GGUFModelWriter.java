package dev.veil.engine.model;

import static dev.veil.engine.model.GGUFNames.*;

import dev.veil.engine.gguf.GGUFValueType;
import dev.veil.engine.gguf.GGUFWriter;
import dev.veil.engine.gguf.TensorSources;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.engine.tokenizer.SentencePieceVocabulary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    /** A SentencePiece vocabulary as {@code tokenizer.ggml.*} metadata (tokenizer model "llama"). */
    public static void putVocabulary(GGUFWriter w, SentencePieceVocabulary v) {
        w.put("tokenizer.ggml.model", "llama");
        w.put("tokenizer.ggml.tokens", v.pieces());
        w.put("tokenizer.ggml.scores", v.scores());
        w.put("tokenizer.ggml.token_type", v.tokenTypes());
        w.put("tokenizer.ggml.unknown_token_id", GGUFValueType.UINT32, SentencePieceVocabulary.UNK);
        w.put("tokenizer.ggml.bos_token_id", GGUFValueType.UINT32, SentencePieceVocabulary.BOS);
        w.put("tokenizer.ggml.eos_token_id", GGUFValueType.UINT32, SentencePieceVocabulary.EOS);
    }

    /**
     * Writes a fully loaded model with the vocabulary of its tokenizer, weight matrices as {@code type}. An LM head
     * that is the embedding tensor itself is written once (tied). Returns notes on tensors kept as F32.
     */
    public static List<String> write(Model m, SentencePieceVocabulary vocab, GGMLType type, String name, Path out) throws IOException {
        if (m.node() == null || m.linear() == null) throw new IllegalArgumentException("writing a model needs all of its parts");
        LlamaConfig c = m.config();
        NodeParams n = m.node();
        LinearWeights lw = m.linear();
        var w = new GGUFWriter();
        putConfig(w, c, name);
        w.put("general.file_type", GGUFValueType.UINT32, type.id);
        putVocabulary(w, vocab);
        List<String> notes = new ArrayList<>();
        var matrices = new Matrices(w, type, notes::add);
        matrices.add(TOKEN_EMBD, n.tokenEmbedding(), c.vocabSize(), c.dim());
        vector(w, OUTPUT_NORM, n.finalNorm());
        if (lw.lmHead() != n.tokenEmbedding()) matrices.add(OUTPUT, lw.lmHead(), c.vocabSize(), c.dim());
        if (c.ropeFreqFactors() != null) vector(w, ROPE_FREQS, c.ropeFreqFactors());
        for (int l = 0; l < c.layers(); l++) {
            vector(w, blk(l, ATTN_NORM), n.attnNorm()[l]);
            matrices.add(blk(l, ATTN_Q), lw.wq()[l], c.qDim(), c.dim());
            matrices.add(blk(l, ATTN_K), lw.wk()[l], c.kvDim(), c.dim());
            matrices.add(blk(l, ATTN_V), lw.wv()[l], c.kvDim(), c.dim());
            if (n.qkvBias() != null) {
                float[] b = n.qkvBias()[l];
                vector(w, blk(l, ATTN_Q_BIAS), java.util.Arrays.copyOfRange(b, 0, c.qDim()));
                vector(w, blk(l, ATTN_K_BIAS), java.util.Arrays.copyOfRange(b, c.qDim(), c.qDim() + c.kvDim()));
                vector(w, blk(l, ATTN_V_BIAS), java.util.Arrays.copyOfRange(b, c.qDim() + c.kvDim(), b.length));
            }
            if (c.qkNorm()) {
                vector(w, blk(l, ATTN_Q_NORM), n.qNorm()[l]);
                vector(w, blk(l, ATTN_K_NORM), n.kNorm()[l]);
            }
            matrices.add(blk(l, ATTN_OUTPUT), lw.wo()[l], c.dim(), c.qDim());
            vector(w, blk(l, FFN_NORM), n.ffnNorm()[l]);
            matrices.add(blk(l, FFN_GATE), lw.gate()[l], c.hiddenDim(), c.dim());
            matrices.add(blk(l, FFN_UP), lw.up()[l], c.hiddenDim(), c.dim());
            matrices.add(blk(l, FFN_DOWN), lw.down()[l], c.dim(), c.hiddenDim());
        }
        w.write(out);
        return notes;
    }

    /**
     * Converts a llama2.c checkpoint and its tokenizer.bin to GGUF ({@code veil convert}): same tensors as
     * llama.cpp's converter writes, the tokenizer in {@code tokenizer.ggml.*}. Returns notes on tensors kept as F32.
     */
    public static List<String> convertLlama2c(Path checkpoint, Path tokenizer, GGMLType type, Path out) throws IOException {
        Model m = Llama2cLoader.load(checkpoint, tokenizer, ModelParts.ALL);
        var vocab = SentencePieceVocabulary.readLlama2c(tokenizer, m.config().vocabSize());
        String name = checkpoint.getFileName().toString().replaceFirst("\\.bin$", "");
        return write(m, vocab, type, name, out);
    }

    /** A 1-D F32 tensor. */
    public static void vector(GGUFWriter w, String name, float[] values) {
        w.addTensor(name, GGMLType.F32, new long[] {values.length}, TensorSources.vector(GGMLType.F32, values));
    }

    /** Adds weight matrices as {@code type}, or as F32 (with a note) where a row is not a whole number of blocks. */
    public record Matrices(GGUFWriter w, GGMLType type, Consumer<String> notes) {
        public Matrices {
            if (!TensorSources.ENCODABLE.contains(type)) {
                throw new IllegalArgumentException("cannot write weights as " + type + " (supported: " + TensorSources.ENCODABLE + ")");
            }
        }

        public GGMLType typeFor(String name, int cols) {
            if (TensorSources.canEncode(type, cols)) return type;
            notes.accept(name + " kept as F32: its " + cols + " columns are not a multiple of " + type + "'s block of " + type.blockSize);
            return GGMLType.F32;
        }

        public void add(String name, FloatTensor t, int rows, int cols) {
            GGMLType as = typeFor(name, cols);
            long[] dims = {cols, rows};
            if (t.type() == as && t.size() == (long) rows * cols) {
                w.addTensor(name, as, dims, GGUFWriter.TensorSource.of(t.segment().asSlice(0, as.byteSize(t.size()))));
            } else {
                w.addTensor(name, as, dims, TensorSources.rows(as, rows, cols, (r, dst) -> t.copyRow((int) r, cols, dst, 0)));
            }
        }

        public void add(String name, int rows, int cols, TensorSources.RowFiller rowsOf) {
            GGMLType as = typeFor(name, cols);
            w.addTensor(name, as, new long[] {cols, rows}, TensorSources.rows(as, rows, cols, rowsOf));
        }
    }
}
