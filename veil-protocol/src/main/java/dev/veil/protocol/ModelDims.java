package dev.veil.protocol;

import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.LlamaConfig;

/** The dimensions both sides must agree on: enough to check every tensor's shape, nothing about the weights. */
public record ModelDims(int dim, int hiddenDim, int layers, int heads, int kvHeads, int headDim, int vocabSize) {
    public static ModelDims of(LlamaConfig c) {
        return new ModelDims(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.vocabSize());
    }

    public int inDim(Projection p) {
        return switch (p) {
            case QKV, GATE_UP, LM_HEAD -> dim;
            case ATTN_OUT -> heads * headDim;
            case FFN_DOWN -> hiddenDim;
        };
    }

    public int outDim(Projection p) {
        return switch (p) {
            case QKV -> (heads + 2 * kvHeads) * headDim;
            case ATTN_OUT, FFN_DOWN -> dim;
            case GATE_UP -> 2 * hiddenDim;
            case LM_HEAD -> vocabSize;
        };
    }

    /** Whether {@code id} names a matrix of this model. */
    public boolean has(MatrixId id) {
        return id.layer() < (id.projection().perLayer() ? layers : 1);
    }
}
