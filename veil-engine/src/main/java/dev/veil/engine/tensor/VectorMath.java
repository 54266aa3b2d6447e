package dev.veil.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorized helpers over float arrays for the weight-free parts of the forward pass (attention, gating). Each
 * rounds the same at every vector width: dot keeps {@link Lanes}' 16 partial sums; the others are lane-wise, with
 * scalar tails that round like the vector lanes (a fused multiply-add).
 */
public final class VectorMath {
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    private VectorMath() {}

    /** Σ a[aOffset + i]·b[bOffset + i] for i &lt; n. */
    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0, upper = n & -Lanes.SUMS;
        for (; i < upper; i += Lanes.SUMS) {
            int ao = aOffset + i, bo = bOffset + i;
            a0 = FloatVector.fromArray(F, a, ao).fma(FloatVector.fromArray(F, b, bo), a0);
            if (Lanes.PARTS > 1) a1 = FloatVector.fromArray(F, a, ao + L).fma(FloatVector.fromArray(F, b, bo + L), a1);
            if (Lanes.PARTS > 2) {
                a2 = FloatVector.fromArray(F, a, ao + 2 * L).fma(FloatVector.fromArray(F, b, bo + 2 * L), a2);
                a3 = FloatVector.fromArray(F, a, ao + 3 * L).fma(FloatVector.fromArray(F, b, bo + 3 * L), a3);
            }
        }
        float sum = Lanes.sum(a0, a1, a2, a3);
        for (; i < n; i++) sum += a[aOffset + i] * b[bOffset + i];
        return sum;
    }

    /** y[yOffset + i] += alpha·x[xOffset + i] for i &lt; n, each a fused multiply-add. */
    public static void axpy(float alpha, float[] x, int xOffset, float[] y, int yOffset, int n) {
        var a = FloatVector.broadcast(F, alpha);
        int i = 0, upper = F.loopBound(n);
        for (; i < upper; i += L) {
            FloatVector.fromArray(F, x, xOffset + i).fma(a, FloatVector.fromArray(F, y, yOffset + i)).intoArray(y, yOffset + i);
        }
        for (; i < n; i++) y[yOffset + i] = Math.fma(x[xOffset + i], alpha, y[yOffset + i]);
    }

    /**
     * out[i] = silu(gate[gateOffset + i])·up[upOffset + i] for i &lt; n, with silu(v) = v / (1 + e^-v). The
     * exponential is the scalar one: the vector API's may differ in the last bit between widths.
     */
    public static void siluGate(float[] gate, int gateOffset, float[] up, int upOffset, float[] out, int outOffset, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[gateOffset + i];
            out[outOffset + i] = g / (1f + (float) Math.exp(-g)) * up[upOffset + i];
        }
    }
}
