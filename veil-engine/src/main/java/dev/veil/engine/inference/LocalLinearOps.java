package dev.veil.engine.inference;

import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.tensor.FloatTensor;

/** Weight multiplies computed in this process with the engine's kernels. */
public final class LocalLinearOps implements LinearOps {
    private final LlamaConfig c;
    private final LinearWeights w;
    /** Per layer, the fused projections' matrices and their row counts (built once: decode allocates nothing). */
    private final FloatTensor[][] qkv, gateUp;
    private final int[] qkvRows, gateUpRows;

    public LocalLinearOps(LlamaConfig config, LinearWeights weights) {
        if (weights == null) throw new IllegalArgumentException("model was loaded without its weight matrices");
        this.c = config;
        this.w = weights;
        int layers = config.layers();
        qkv = new FloatTensor[layers][];
        gateUp = new FloatTensor[layers][];
        for (int l = 0; l < layers && w.wq() != null; l++) {  // a head-only set (CMIF's node) has no layers
            qkv[l] = new FloatTensor[] {w.wq()[l], w.wk()[l], w.wv()[l]};
            gateUp[l] = new FloatTensor[] {w.gate()[l], w.up()[l]};
        }
        qkvRows = new int[] {c.qDim(), c.kvDim(), c.kvDim()};
        gateUpRows = new int[] {c.hiddenDim(), c.hiddenDim()};
    }

    @Override
    public void apply(Projection p, int layer, float[] x, int n, float[] out) {
        int in = p.inDim(c), stride = p.outDim(c);
        switch (p) {
            case QKV -> FloatTensor.matmulFused(qkv[layer], qkvRows, x, n, in, out, stride);
            case ATTN_OUT -> mul(w.wo()[layer], x, n, c.dim(), in, out, stride, 0);
            case GATE_UP -> FloatTensor.matmulFused(gateUp[layer], gateUpRows, x, n, in, out, stride);
            case FFN_DOWN -> mul(w.down()[layer], x, n, c.dim(), in, out, stride, 0);
            case LM_HEAD -> mul(w.lmHead(), x, n, c.vocabSize(), in, out, stride, 0);
        }
    }

    private static void mul(FloatTensor t, float[] x, int n, int rows, int cols, float[] out, int stride, int offset) {
        t.matmul(x, n, rows, cols, out, stride, offset);
    }
}
