package dev.veil.engine.inference;

import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.tensor.FloatTensor;

/** Weight multiplies computed in this process with the engine's kernels. */
public final class LocalLinearOps implements LinearOps {
    private final LlamaConfig c;
    private final LinearWeights w;

    public LocalLinearOps(LlamaConfig config, LinearWeights weights) {
        if (weights == null) throw new IllegalArgumentException("model was loaded without its weight matrices");
        this.c = config;
        this.w = weights;
    }

    @Override
    public void apply(Projection p, int layer, float[] x, int n, float[] out) {
        int in = p.inDim(c), stride = p.outDim(c);
        switch (p) {
            case QKV -> {
                mul(w.wq()[layer], x, n, c.qDim(), in, out, stride, 0);
                mul(w.wk()[layer], x, n, c.kvDim(), in, out, stride, c.qDim());
                mul(w.wv()[layer], x, n, c.kvDim(), in, out, stride, c.qDim() + c.kvDim());
            }
            case ATTN_OUT -> mul(w.wo()[layer], x, n, c.dim(), in, out, stride, 0);
            case GATE_UP -> {
                mul(w.gate()[layer], x, n, c.hiddenDim(), in, out, stride, 0);
                mul(w.up()[layer], x, n, c.hiddenDim(), in, out, stride, c.hiddenDim());
            }
            case FFN_DOWN -> mul(w.down()[layer], x, n, c.dim(), in, out, stride, 0);
            case LM_HEAD -> mul(w.lmHead(), x, n, c.vocabSize(), in, out, stride, 0);
        }
    }

    private static void mul(FloatTensor t, float[] x, int n, int rows, int cols, float[] out, int stride, int offset) {
        t.matmul(x, n, rows, cols, out, stride, offset);
    }
}
