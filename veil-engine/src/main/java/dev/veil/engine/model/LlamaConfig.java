package dev.veil.engine.model;

import dev.veil.engine.ModelFormatException;

/**
 * Hyper-parameters of a Llama-family decoder (llama, qwen2, qwen3).
 *
 * @param ropeStyle   how RoPE pairs dimensions: adjacent pairs (llama, llama2.c) or halves (qwen: NEOX)
 * @param ropeFreqFactors per-frequency divisors (Llama 3 RoPE scaling), headDim/2 values, or null
 * @param qkNorm      per-head RMSNorm of q and k before RoPE (qwen3)
 */
public record LlamaConfig(
        String architecture,
        int dim,
        int hiddenDim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        float rmsEps,
        float ropeTheta,
        RopeStyle ropeStyle,
        float[] ropeFreqFactors,
        boolean qkNorm) {

    public enum RopeStyle { ADJACENT, NEOX }

    public LlamaConfig {
        require(dim > 0 && hiddenDim > 0 && layers > 0 && heads > 0 && kvHeads > 0 && headDim > 0 && vocabSize > 0
                && contextLength > 0, "all dimensions must be positive");
        require(heads % kvHeads == 0, "heads (" + heads + ") must be a multiple of kv heads (" + kvHeads + ")");
        require(headDim % 2 == 0, "head dimension must be even for RoPE, got " + headDim);
        require(ropeFreqFactors == null || ropeFreqFactors.length == headDim / 2,
                "rope frequency factors need headDim/2 = " + headDim / 2 + " values");
    }

    /** Width of the concatenated query heads. */
    public int qDim() { return heads * headDim; }

    /** Width of the concatenated key (or value) heads. */
    public int kvDim() { return kvHeads * headDim; }

    private static void require(boolean ok, String message) {
        if (!ok) throw new ModelFormatException("invalid model configuration: " + message);
    }
}
