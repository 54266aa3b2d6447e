package dev.veil.engine.inference;

import dev.veil.engine.model.LlamaConfig;

/**
 * The weight multiplies of a decoder, as the forward pass issues them. Fused projections share one input
 * and write their outputs side by side: QKV gives [q | k | v], GATE_UP gives [gate | up] per row.
 */
public enum Projection {
    QKV, ATTN_OUT, GATE_UP, FFN_DOWN, LM_HEAD;

    public int inDim(LlamaConfig c) {
        return switch (this) {
            case QKV, GATE_UP, LM_HEAD -> c.dim();
            case ATTN_OUT -> c.qDim();
            case FFN_DOWN -> c.hiddenDim();
        };
    }

    public int outDim(LlamaConfig c) {
        return switch (this) {
            case QKV -> c.qDim() + 2 * c.kvDim();
            case ATTN_OUT, FFN_DOWN -> c.dim();
            case GATE_UP -> 2 * c.hiddenDim();
            case LM_HEAD -> c.vocabSize();
        };
    }

    /** Whether this projection exists once per layer (LM_HEAD exists once per model; its layer is ignored). */
    public boolean perLayer() {
        return this != LM_HEAD;
    }
}
