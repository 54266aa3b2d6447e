package dev.veil.cli;

import dev.veil.engine.Parallel;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelShape;
import dev.veil.engine.model.NodeParams;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tensor.FloatTensors;
import dev.veil.engine.tensor.GGMLType;
import java.util.SplittableRandom;

/**
 * Random-weight models of a named shape built straight in memory with weight matrices of any tensor type, for
 * benchmarks on shapes too large to write as F32 files (weights uniform with standard deviation 1/√cols, like
 * {@link dev.veil.engine.model.RandomModels}). No tokenizer: benchmarks feed token ids.
 */
final class BenchModels {
    private BenchModels() {}

    static Model create(ModelShape shape, GGMLType type, long seed) {
        LlamaConfig c = shape.config();
        int layers = c.layers();
        FloatTensor embedding = matrix(type, c.vocabSize(), c.dim(), seed, -1);
        FloatTensor lmHead = shape.tiedOutput() ? embedding : matrix(type, c.vocabSize(), c.dim(), seed, -2);
        FloatTensor[] wq = new FloatTensor[layers], wk = new FloatTensor[layers], wv = new FloatTensor[layers], wo = new FloatTensor[layers],
                gate = new FloatTensor[layers], up = new FloatTensor[layers], down = new FloatTensor[layers];
        float[][] attnNorm = new float[layers][], ffnNorm = new float[layers][], qNorm = c.qkNorm() ? new float[layers][] : null,
                kNorm = c.qkNorm() ? new float[layers][] : null, bias = shape.qkvBias() ? new float[layers][] : null;
        for (int l = 0; l < layers; l++) {
            long s = seed + 1000L * (l + 1);
            wq[l] = matrix(type, c.qDim(), c.dim(), s, 1);
            wk[l] = matrix(type, c.kvDim(), c.dim(), s, 2);
            wv[l] = matrix(type, c.kvDim(), c.dim(), s, 3);
            wo[l] = matrix(type, c.dim(), c.qDim(), s, 4);
            gate[l] = matrix(type, c.hiddenDim(), c.dim(), s, 5);
            up[l] = matrix(type, c.hiddenDim(), c.dim(), s, 6);
            down[l] = matrix(type, c.dim(), c.hiddenDim(), s, 7);
            attnNorm[l] = gains(c.dim(), s + 8);
            ffnNorm[l] = gains(c.dim(), s + 9);
            if (qNorm != null) {
                qNorm[l] = gains(c.headDim(), s + 10);
                kNorm[l] = gains(c.headDim(), s + 11);
            }
            if (bias != null) bias[l] = gains(c.qDim() + 2 * c.kvDim(), s + 12);
        }
        var node = new NodeParams(embedding, attnNorm, ffnNorm, gains(c.dim(), seed + 7), qNorm, kNorm, bias);
        return new Model(c, null, node, new LinearWeights(wq, wk, wv, wo, gate, up, down, lmHead));
    }

    private static FloatTensor matrix(GGMLType type, int rows, int cols, long seed, int which) {
        float[] v = new float[Math.multiplyExact(rows, cols)];
        double half = Math.sqrt(3.0 / cols);
        Parallel.forEach(rows, r -> {
            var random = new SplittableRandom(seed * 31 + which * 1_000_003L + r * 0x9E3779B97F4A7C15L);
            for (int i = 0; i < cols; i++) v[r * cols + i] = (float) ((2 * random.nextDouble() - 1) * half);
        });
        return FloatTensors.quantize(type, v);
    }

    private static float[] gains(int size, long seed) {
        var random = new SplittableRandom(seed);
        float[] g = new float[size];
        for (int i = 0; i < size; i++) g[i] = (float) (1 + 0.25 * (2 * random.nextDouble() - 1));
        return g;
    }
}
