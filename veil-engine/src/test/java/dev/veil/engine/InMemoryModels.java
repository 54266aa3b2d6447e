package dev.veil.engine;

import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.NodeParams;
import dev.veil.engine.tensor.F32Tensor;
import dev.veil.engine.tensor.FloatTensor;
import java.util.SplittableRandom;

/** Small random-weight models built in memory, one per architecture feature the forward pass has. */
public final class InMemoryModels {
    private InMemoryModels() {}

    /** Llama-style: adjacent RoPE, grouped-query attention. */
    public static LlamaConfig llama() {
        return new LlamaConfig("llama", 48, 96, 2, 6, 2, 8, 300, 64, 1e-5f, 10000f, LlamaConfig.RopeStyle.ADJACENT, null, false);
    }

    /** Qwen2-style: NEOX RoPE, QKV bias (see {@link #create}). */
    public static LlamaConfig qwen2() {
        return new LlamaConfig("qwen2", 64, 128, 2, 4, 2, 16, 257, 64, 1e-6f, 1000000f, LlamaConfig.RopeStyle.NEOX, null, false);
    }

    /** Qwen3-style: QK norm, and query width (heads × headDim) unlike dim. */
    public static LlamaConfig qwen3() {
        return new LlamaConfig("qwen3", 32, 80, 3, 4, 1, 16, 200, 64, 1e-6f, 1000000f, LlamaConfig.RopeStyle.NEOX, null, true);
    }

    /** A model of shape {@code c} with weights drawn from {@code seed}; qwen2 gets QKV biases. */
    public static Model create(LlamaConfig c, long seed) {
        var rnd = new SplittableRandom(seed);
        int layers = c.layers(), qkv = c.qDim() + 2 * c.kvDim();
        boolean bias = c.architecture().equals("qwen2");
        var node = new NodeParams(matrix(rnd, c.vocabSize(), c.dim(), 1.0),
                gains(rnd, layers, c.dim()), gains(rnd, layers, c.dim()), gains(rnd, 1, c.dim())[0],
                c.qkNorm() ? gains(rnd, layers, c.headDim()) : null, c.qkNorm() ? gains(rnd, layers, c.headDim()) : null,
                bias ? gains(rnd, layers, qkv) : null);
        var linear = new LinearWeights(
                matrices(rnd, layers, c.qDim(), c.dim()), matrices(rnd, layers, c.kvDim(), c.dim()), matrices(rnd, layers, c.kvDim(), c.dim()),
                matrices(rnd, layers, c.dim(), c.qDim()), matrices(rnd, layers, c.hiddenDim(), c.dim()),
                matrices(rnd, layers, c.hiddenDim(), c.dim()), matrices(rnd, layers, c.dim(), c.hiddenDim()),
                matrix(rnd, c.vocabSize(), c.dim(), 1.0 / Math.sqrt(c.dim())));
        return new Model(c, null, node, linear);
    }

    private static FloatTensor[] matrices(SplittableRandom rnd, int layers, int rows, int cols) {
        FloatTensor[] m = new FloatTensor[layers];
        for (int l = 0; l < layers; l++) m[l] = matrix(rnd, rows, cols, 1.0 / Math.sqrt(cols));
        return m;
    }

    private static FloatTensor matrix(SplittableRandom rnd, int rows, int cols, double std) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * std);
        return F32Tensor.of(v);
    }

    private static float[][] gains(SplittableRandom rnd, int count, int size) {
        float[][] g = new float[count][size];
        for (float[] row : g) for (int i = 0; i < size; i++) row[i] = (float) (1 + 0.2 * rnd.nextGaussian());
        return g;
    }
}
