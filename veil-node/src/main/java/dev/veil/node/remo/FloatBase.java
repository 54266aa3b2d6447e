package dev.veil.node.remo;

import dev.veil.node.MaskRandom;
import dev.veil.engine.tensor.F32Tensor;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Rows;

/**
 * Float-mode ReMO. Mpub has unit-variance entries and Mpvt entries of standard deviation σ/√m, so each mask
 * entry has standard deviation σ (the mask scale). Restoration is exact up to float rounding, whose size grows
 * with σ: O = Ô − Mpvt·Rpub cancels a term of size σ·|W|.
 */
final class FloatBase extends PublicBase {
    private final F32Tensor mpubT, rpubT;
    private final double privateScale;

    FloatBase(MatrixId id, int m, int dIn, int dOut, float[] mpub, float[] rpub, double maskScale) {
        super(id, m, dIn, dOut);
        this.mpubT = F32Tensor.of(transpose(mpub, m, dIn));
        this.rpubT = F32Tensor.of(transpose(rpub, m, dOut));
        this.privateScale = maskScale / Math.sqrt(m);
    }

    @Override
    public MaskedCall mask(float[] x, int xOffset, int n, MaskRandom random) {
        float[] pvt = random.uniform(n * m, privateScale);
        float[] e = new float[n * dIn];
        mpubT.matmul(pvt, n, dIn, m, e, dIn, 0);
        for (int i = 0; i < e.length; i++) e[i] += x[xOffset + i];
        var masked = new Rows.Floats(n, dIn, e);
        return new MaskedCall() {
            @Override
            public Rows masked() {
                return masked;
            }

            @Override
            public void restore(Rows output, float[] out, int outOffset) {
                if (!(output instanceof Rows.Floats f)) throw badReply(id, "float rows");
                checkShape(id, f, n, dOut);
                float[] corr = new float[n * dOut];
                rpubT.matmul(pvt, n, dOut, m, corr, dOut, 0);
                float[] o = f.data();
                for (int i = 0; i < corr.length; i++) out[outOffset + i] = o[i] - corr[i];
            }
        };
    }

    @Override
    long byteSize() {
        return 4L * m * (dIn + dOut);
    }

    @Override
    int elementBytes() {
        return 4;
    }
}
