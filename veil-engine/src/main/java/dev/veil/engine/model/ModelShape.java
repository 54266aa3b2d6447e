package dev.veil.engine.model;

import dev.veil.engine.ModelFormatException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a Llama-family model, without weights: what {@link RandomModels} builds. qwen2 shapes have QKV
 * biases and qwen3 shapes a QK norm, as those architectures do.
 *
 * @param ropeScaling Llama 3 RoPE scaling, or null
 */
public record ModelShape(String name, String architecture, int dim, int hiddenDim, int layers, int heads, int kvHeads,
                         int headDim, int vocabSize, int contextLength, float ropeTheta, float rmsEps, boolean tiedOutput,
                         RopeScaling ropeScaling) {

    /** Named shapes: real models' shapes, and small ones for tests (every dimension a multiple of 256, for K-quants). */
    public static final Map<String, ModelShape> NAMED = new LinkedHashMap<>();

    static {
        var llama3 = new RopeScaling(32f, 1f, 4f, 8192);
        for (ModelShape s : new ModelShape[] {
                new ModelShape("llama-3.2-1b", "llama", 2048, 8192, 16, 32, 8, 64, 128256, 131072, 500000f, 1e-5f, true, llama3),
                new ModelShape("llama-2-7b", "llama", 4096, 11008, 32, 32, 32, 128, 32000, 4096, 10000f, 1e-5f, false, null),
                new ModelShape("qwen2.5-0.5b", "qwen2", 896, 4864, 24, 14, 2, 64, 151936, 32768, 1000000f, 1e-6f, true, null),
                new ModelShape("qwen3-0.6b", "qwen3", 1024, 3072, 28, 16, 8, 128, 151936, 40960, 1000000f, 1e-6f, true, null),
                // Llama 3 style: GQA, RoPE scaling whose three regimes all occur at head size 64, untied output.
                new ModelShape("tiny-llama", "llama", 256, 512, 2, 4, 2, 64, 512, 256, 500000f, 1e-5f, false,
                        new RopeScaling(8f, 1f, 4f, 128)),
                new ModelShape("tiny-qwen2", "qwen2", 256, 512, 2, 4, 2, 64, 512, 256, 1000000f, 1e-6f, true, null),
                // Head size 128 makes the query width (512) differ from the model width, as in Qwen3.
                new ModelShape("tiny-qwen3", "qwen3", 256, 512, 2, 4, 2, 128, 512, 256, 1000000f, 1e-6f, true, null),
        }) {
            NAMED.put(s.name(), s);
        }
    }

    public ModelShape {
        if (!GGUFModelLoader.ARCHITECTURES.contains(architecture)) {
            throw new ModelFormatException("unsupported architecture '" + architecture + "' (supported: llama, qwen2, qwen3)");
        }
        config(architecture, dim, hiddenDim, layers, heads, kvHeads, headDim, vocabSize, contextLength, ropeTheta, rmsEps, ropeScaling);
    }

    public static ModelShape named(String name) {
        ModelShape s = NAMED.get(name);
        if (s == null) throw new ModelFormatException("unknown model shape '" + name + "' (known: " + String.join(", ", NAMED.keySet()) + ")");
        return s;
    }

    public boolean qkvBias() {
        return architecture.equals("qwen2");
    }

    public LlamaConfig config() {
        return config(architecture, dim, hiddenDim, layers, heads, kvHeads, headDim, vocabSize, contextLength, ropeTheta, rmsEps, ropeScaling);
    }

    private static LlamaConfig config(String arch, int dim, int hidden, int layers, int heads, int kvHeads, int headDim, int vocab,
                                      int context, float theta, float eps, RopeScaling scaling) {
        return new LlamaConfig(arch, dim, hidden, layers, heads, kvHeads, headDim, vocab, context, eps, theta,
                arch.equals("llama") ? LlamaConfig.RopeStyle.ADJACENT : LlamaConfig.RopeStyle.NEOX,
                scaling == null ? null : scaling.factors(headDim, theta), arch.equals("qwen3"));
    }

    /** Number of weights (embedding and LM head counted once when tied). */
    public long parameters() {
        LlamaConfig c = config();
        long perLayer = (long) c.dim() * (2L * c.qDim() + 2L * c.kvDim()) + 3L * c.dim() * c.hiddenDim() + 2L * c.dim();
        if (qkvBias()) perLayer += c.qDim() + 2L * c.kvDim();
        if (c.qkNorm()) perLayer += 2L * c.headDim();
        return layers * perLayer + (long) vocabSize * dim * (tiedOutput ? 1 : 2) + dim;
    }
}
