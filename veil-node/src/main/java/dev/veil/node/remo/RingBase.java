package dev.veil.node.remo;

import dev.veil.node.MaskRandom;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingKernels;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Rows;

/**
 * Exact ReMO over Z_2^k: E is the fixed-point encoding of the activations, Mpub and Mpvt are uniform over the
 * ring, and every sum wraps. Restoration gives E·Wᵀ in the ring exactly, which is then read back with the
 * server's row scales just as the plain engine's exact mode does: bit-identical results.
 */
final class RingBase extends PublicBase {
    private final Ring ring;
    private final long[] mpubT, rpubT;
    private final float[] rowScales;

    RingBase(MatrixId id, Ring ring, int m, int dIn, int dOut, long[] mpub, long[] rpub, float[] rowScales) {
        super(id, m, dIn, dOut);
        this.ring = ring;
        this.mpubT = transpose(mpub, m, dIn);
        this.rpubT = transpose(rpub, m, dOut);
        this.rowScales = rowScales;
    }

    @Override
    public MaskedCall mask(float[] x, int xOffset, int n, MaskRandom random) {
        long[] pvt = random.ring(ring, n * m);
        long[] e = new long[n * dIn];
        RingKernels.matmul(ring, mpubT, dIn, m, pvt, n, e, dIn, 0);
        for (int i = 0; i < e.length; i++) e[i] = ring.wrap(e[i] + ring.quantize(x[xOffset + i]));
        var masked = new Rows.RingElements(ring, n, dIn, e);
        return new MaskedCall() {
            @Override
            public Rows masked() {
                return masked;
            }

            @Override
            public void restore(Rows output, float[] out, int outOffset) {
                if (!(output instanceof Rows.RingElements r) || r.ring() != ring) throw badReply(id, "rows over " + ring);
                checkShape(id, r, n, dOut);
                long[] acc = new long[n * dOut];
                RingKernels.matmul(ring, rpubT, dOut, m, pvt, n, acc, dOut, 0);
                long[] o = r.data();
                for (int i = 0; i < acc.length; i++) acc[i] = o[i] - acc[i];
                ring.dequantize(acc, n, dOut, rowScales, out, outOffset);
            }
        };
    }

    @Override
    long byteSize() {
        return 8L * m * (dIn + dOut) + 4L * rowScales.length; // held as longs in either ring
    }

    @Override
    int elementBytes() {
        return ring.bytes();
    }
}
