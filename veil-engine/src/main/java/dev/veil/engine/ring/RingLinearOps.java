package dev.veil.engine.ring;

import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.tensor.FloatTensor;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The exact numeric mode of the plain engine: every weight multiply is quantized to a {@link Ring}, computed
 * there and read back (see {@link Ring} for the encoding). Weight matrices are quantized on first use. A masked
 * split runtime over the same ring restores exactly the integers {@link #multiply} gives, hence the same logits.
 */
public final class RingLinearOps implements LinearOps {
    private final LlamaConfig c;
    private final LinearWeights w;
    private final Ring ring;
    private final AtomicReferenceArray<RingMatrix> matrices;

    public RingLinearOps(LlamaConfig config, LinearWeights weights, Ring ring) {
        if (weights == null) throw new IllegalArgumentException("model was loaded without its weight matrices");
        this.c = config;
        this.w = weights;
        this.ring = ring;
        this.matrices = new AtomicReferenceArray<>(Projection.values().length * config.layers());
    }

    public Ring ring() { return ring; }

    @Override
    public void apply(Projection p, int layer, float[] x, int n, float[] out) {
        RingMatrix m = matrix(p, layer);
        long[] q = new long[n * m.cols()], acc = new long[n * m.rows()];
        ring.quantize(x, n * m.cols(), q);
        m.multiply(ring, q, n, acc);
        ring.dequantize(acc, n, m.rows(), m.rowScales(), out, 0);
    }

    /** The ring product alone, on already encoded (or masked) inputs: what a weights server computes. */
    public void multiply(Projection p, int layer, long[] x, int n, long[] out) {
        matrix(p, layer).multiply(ring, x, n, out);
    }

    /** Bytes of the matrices quantized so far. */
    public long byteSize() {
        long sum = 0;
        for (int i = 0; i < matrices.length(); i++) if (matrices.get(i) != null) sum += matrices.get(i).byteSize();
        return sum;
    }

    /** The quantized matrix of {@code p} at {@code layer} (fused projections stacked), quantizing it on first use. */
    public RingMatrix matrix(Projection p, int layer) {
        if (layer < 0 || layer >= c.layers()) throw new IllegalArgumentException("layer " + layer + " outside 0.." + (c.layers() - 1));
        int slot = p.perLayer() ? p.ordinal() * c.layers() + layer : p.ordinal() * c.layers();
        RingMatrix m = matrices.get(slot);
        if (m != null) return m;
        synchronized (this) {
            m = matrices.get(slot);
            if (m == null) {
                m = quantize(p, layer);
                matrices.set(slot, m);
            }
            return m;
        }
    }

    private RingMatrix quantize(Projection p, int l) {
        int in = p.inDim(c);
        return switch (p) {
            case QKV -> RingMatrix.quantize(ring, in, new FloatTensor[] {w.wq()[l], w.wk()[l], w.wv()[l]},
                    new int[] {c.qDim(), c.kvDim(), c.kvDim()});
            case ATTN_OUT -> RingMatrix.quantize(ring, in, new FloatTensor[] {w.wo()[l]}, new int[] {c.dim()});
            case GATE_UP -> RingMatrix.quantize(ring, in, new FloatTensor[] {w.gate()[l], w.up()[l]},
                    new int[] {c.hiddenDim(), c.hiddenDim()});
            case FFN_DOWN -> RingMatrix.quantize(ring, in, new FloatTensor[] {w.down()[l]}, new int[] {c.dim()});
            case LM_HEAD -> RingMatrix.quantize(ring, in, new FloatTensor[] {w.lmHead()}, new int[] {c.vocabSize()});
        };
    }
}
