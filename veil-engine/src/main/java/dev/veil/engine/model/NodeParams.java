package dev.veil.engine.model;

import dev.veil.engine.tensor.FloatTensor;

/**
 * The parameters used by weight-free operations: what a trusted node holds. No weight matrix that is
 * multiplied with an activation is here (the LM head, even when tied to the embedding, is reached only
 * through {@link LinearWeights}).
 *
 * @param tokenEmbedding vocab × dim
 * @param attnNorm       per layer, dim gains
 * @param ffnNorm        per layer, dim gains
 * @param finalNorm      dim gains
 * @param qNorm          per layer, headDim gains (qwen3), else null
 * @param kNorm          per layer, headDim gains (qwen3), else null
 * @param qkvBias        per layer, qDim + 2·kvDim biases added after the QKV projection (qwen2), else null
 */
public record NodeParams(
        FloatTensor tokenEmbedding,
        float[][] attnNorm,
        float[][] ffnNorm,
        float[] finalNorm,
        float[][] qNorm,
        float[][] kNorm,
        float[][] qkvBias) {}
