package dev.veil.engine.model;

import dev.veil.engine.tensor.FloatTensor;

/**
 * The weight matrices: what the weights server holds. Each is row-major, one row per output feature:
 * wq qDim×dim, wk/wv kvDim×dim, wo dim×qDim, gate/up hidden×dim, down dim×hidden, lmHead vocab×dim.
 */
public record LinearWeights(
        FloatTensor[] wq,
        FloatTensor[] wk,
        FloatTensor[] wv,
        FloatTensor[] wo,
        FloatTensor[] gate,
        FloatTensor[] up,
        FloatTensor[] down,
        FloatTensor lmHead) {

    /** Bytes of all matrices (what a forward pass reads per token). */
    public long byteSize() {
        long sum = lmHead.segment().byteSize();
        for (FloatTensor[] group : new FloatTensor[][] {wq, wk, wv, wo, gate, up, down}) {
            for (FloatTensor t : group) sum += t.segment().byteSize();
        }
        return sum;
    }
}
