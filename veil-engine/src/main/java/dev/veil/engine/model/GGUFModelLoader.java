package dev.veil.engine.model;

import static dev.veil.engine.model.GGUFNames.*;

import dev.veil.engine.ModelFormatException;
import dev.veil.engine.gguf.GGUFFile;
import dev.veil.engine.gguf.GGUFTensorInfo;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tokenizer.Tokenizer;
import dev.veil.engine.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/**
 * Builds a {@link Model} from a GGUF file of architecture llama (Llama 2 and 3), qwen2 or qwen3, with tensors
 * over the file's mapping. What a file holds decides the details: {@code blk.N.attn_q.bias} etc. give QKV biases
 * (qwen2), {@code attn_q_norm}/{@code attn_k_norm} a per-head QK RMSNorm (qwen3), {@code rope_freqs.weight} or
 * {@code <arch>.rope.scaling.*} metadata Llama 3 RoPE scaling, and a missing {@code output.weight} an LM head tied
 * to the embedding. RoPE pairs adjacent dimensions for llama and halves (NEOX) for qwen.
 */
public final class GGUFModelLoader {
    public static final Set<String> ARCHITECTURES = Set.of("llama", "qwen2", "qwen3");

    private GGUFModelLoader() {}

    public static Model load(Path path, ModelParts parts) throws IOException {
        GGUFFile f = GGUFFile.open(path);
        LlamaConfig c = config(f);
        Tokenizer tokenizer = null;
        if (parts.node()) {
            tokenizer = Tokenizers.fromGguf(f.metadata());
            if (tokenizer.vocabSize() > c.vocabSize()) {
                throw new ModelFormatException(path + ": tokenizer has " + tokenizer.vocabSize() + " tokens but the embedding only "
                        + c.vocabSize() + " rows");
            }
        }
        var t = new Tensors(f, c);
        boolean bias = f.hasTensor(blk(0, ATTN_Q_BIAS));
        NodeParams node = null;
        if (parts.node()) {
            float[][] attnNorm = new float[c.layers()][], ffnNorm = new float[c.layers()][];
            float[][] qNorm = c.qkNorm() ? new float[c.layers()][] : null, kNorm = c.qkNorm() ? new float[c.layers()][] : null;
            float[][] qkvBias = bias ? new float[c.layers()][] : null;
            for (int l = 0; l < c.layers(); l++) {
                attnNorm[l] = t.vector(blk(l, ATTN_NORM), c.dim());
                ffnNorm[l] = t.vector(blk(l, FFN_NORM), c.dim());
                if (c.qkNorm()) {
                    qNorm[l] = t.vector(blk(l, ATTN_Q_NORM), c.headDim());
                    kNorm[l] = t.vector(blk(l, ATTN_K_NORM), c.headDim());
                }
                if (bias) {
                    qkvBias[l] = new float[c.qDim() + 2 * c.kvDim()];
                    System.arraycopy(t.vector(blk(l, ATTN_Q_BIAS), c.qDim()), 0, qkvBias[l], 0, c.qDim());
                    System.arraycopy(t.vector(blk(l, ATTN_K_BIAS), c.kvDim()), 0, qkvBias[l], c.qDim(), c.kvDim());
                    System.arraycopy(t.vector(blk(l, ATTN_V_BIAS), c.kvDim()), 0, qkvBias[l], c.qDim() + c.kvDim(), c.kvDim());
                }
            }
            node = new NodeParams(t.matrix(TOKEN_EMBD, c.vocabSize(), c.dim()), attnNorm, ffnNorm,
                    t.vector(OUTPUT_NORM, c.dim()), qNorm, kNorm, qkvBias);
        }
        LinearWeights linear = null;
        if (parts.weights()) {
            int L = c.layers();
            FloatTensor[] wq = new FloatTensor[L], wk = new FloatTensor[L], wv = new FloatTensor[L], wo = new FloatTensor[L];
            FloatTensor[] gate = new FloatTensor[L], up = new FloatTensor[L], down = new FloatTensor[L];
            for (int l = 0; l < L; l++) {
                wq[l] = t.matrix(blk(l, ATTN_Q), c.qDim(), c.dim());
                wk[l] = t.matrix(blk(l, ATTN_K), c.kvDim(), c.dim());
                wv[l] = t.matrix(blk(l, ATTN_V), c.kvDim(), c.dim());
                wo[l] = t.matrix(blk(l, ATTN_OUTPUT), c.dim(), c.qDim());
                gate[l] = t.matrix(blk(l, FFN_GATE), c.hiddenDim(), c.dim());
                up[l] = t.matrix(blk(l, FFN_UP), c.hiddenDim(), c.dim());
                down[l] = t.matrix(blk(l, FFN_DOWN), c.dim(), c.hiddenDim());
            }
            FloatTensor lmHead = f.hasTensor(OUTPUT) ? t.matrix(OUTPUT, c.vocabSize(), c.dim())
                    : node != null ? node.tokenEmbedding() : t.matrix(TOKEN_EMBD, c.vocabSize(), c.dim());
            linear = new LinearWeights(wq, wk, wv, wo, gate, up, down, lmHead);
        }
        return new Model(c, tokenizer, node, linear);
    }

    /** The configuration a GGUF file's metadata (and its embedding's shape) describe. */
    public static LlamaConfig config(GGUFFile f) {
        String arch = f.getString(ARCHITECTURE);
        LlamaConfig.RopeStyle style = switch (arch) {
            case "llama" -> LlamaConfig.RopeStyle.ADJACENT;
            case "qwen2", "qwen3" -> LlamaConfig.RopeStyle.NEOX;
            default -> throw new ModelFormatException(f.path() + ": unsupported architecture '" + arch
                    + "' (supported: llama, qwen2, qwen3)");
        };
        String p = arch + ".";
        int dim = f.getInt(p + "embedding_length"), heads = f.getInt(p + "attention.head_count");
        int headDim = f.getInt(p + "attention.key_length", heads > 0 && dim % heads == 0 ? dim / heads : -1);
        if (f.getInt(p + "attention.value_length", headDim) != headDim) {
            throw new ModelFormatException(f.path() + ": key and value head sizes differ, which is not supported");
        }
        if (f.getInt(p + "rope.dimension_count", headDim) != headDim) {
            throw new ModelFormatException(f.path() + ": partial RoPE (" + p + "rope.dimension_count = "
                    + f.getInt(p + "rope.dimension_count") + " of head size " + headDim + ") is not supported");
        }
        GGUFTensorInfo embd = f.tensorInfo(TOKEN_EMBD);
        if (embd.rank() != 2 || embd.dim(0) != dim) {
            throw new ModelFormatException(f.path() + ": " + TOKEN_EMBD + " has shape " + embd.shape() + ", expected [" + dim + ", vocab]");
        }
        float theta = f.getFloat(p + "rope.freq_base", 10000f);
        boolean qkNorm = f.hasTensor(blk(0, ATTN_Q_NORM));
        return new LlamaConfig(arch, dim, f.getInt(p + "feed_forward_length"), f.getInt(p + "block_count"), heads,
                f.getInt(p + "attention.head_count_kv", heads), headDim, Math.toIntExact(embd.dim(1)),
                f.getInt(p + "context_length"), f.getFloat(p + "attention.layer_norm_rms_epsilon"), theta, style,
                ropeFactors(f, p, headDim, theta), qkNorm);
    }

    /** Llama 3 RoPE scaling from {@code rope_freqs.weight}, else from {@code <arch>.rope.scaling.*}; null if none. */
    private static float[] ropeFactors(GGUFFile f, String p, int headDim, float theta) {
        if (f.hasTensor(ROPE_FREQS)) {
            GGUFTensorInfo info = f.tensorInfo(ROPE_FREQS);
            if (info.elements() != headDim / 2) {
                throw new ModelFormatException(f.path() + ": " + ROPE_FREQS + " has " + info.elements() + " values, expected " + headDim / 2);
            }
            return f.tensor(ROPE_FREQS).toFloatArray();
        }
        String type = f.metadata().get(p + "rope.scaling.type") instanceof String s ? s : "none";
        return switch (type) {
            case "none" -> null;
            case "linear" -> {
                float[] factors = new float[headDim / 2];
                Arrays.fill(factors, f.getFloat(p + "rope.scaling.factor"));
                yield factors;
            }
            case "llama3" -> new RopeScaling(f.getFloat(p + "rope.scaling.factor"),
                    f.getFloat(p + "rope.scaling.low_freq_factor", 1f), f.getFloat(p + "rope.scaling.high_freq_factor", 4f),
                    f.getInt(p + "rope.scaling.original_context_length")).factors(headDim, theta);
            default -> throw new ModelFormatException(f.path() + ": unsupported rope scaling '" + type + "' (supported: none, linear, llama3)");
        };
    }

    /** Looks up tensors, checking their shapes against the config. */
    private record Tensors(GGUFFile f, LlamaConfig c) {
        FloatTensor matrix(String name, int rows, int cols) {
            check(name, cols, rows);
            return f.tensor(name);
        }

        float[] vector(String name, int size) {
            check(name, size);
            return f.tensor(name).toFloatArray();
        }

        private void check(String name, long... dims) {
            GGUFTensorInfo info = f.tensorInfo(name);
            long[] actual = info.dims();
            // Trailing 1s are the same shape ([n] == [n, 1]).
            int rank = actual.length;
            while (rank > 1 && actual[rank - 1] == 1) rank--;
            if (!Arrays.equals(Arrays.copyOf(actual, rank), dims)) {
                throw new ModelFormatException(f.path() + ": tensor '" + name + "' has shape " + info.shape() + ", expected "
                        + Arrays.toString(dims));
            }
        }
    }
}
