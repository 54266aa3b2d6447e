package dev.veil.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vectorized helpers over float arrays for the weight-free parts of the forward pass (attention). */
public final class VectorMath {
    private static final VectorSpecies<Float> F = FloatTensor.F_SPECIES;

    private VectorMath() {}

    /** Σ a[aOffset + i]·b[bOffset + i] for i &lt; n. */
    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, upper = F.loopBound(n);
        for (; i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc);
        }
        float sum = FloatTensor.sumLanes(acc);
        for (; i < n; i++) sum += a[aOffset + i] * b[bOffset + i];
        return sum;
    }

    /** y[yOffset + i] += alpha·x[xOffset + i] for i &lt; n. */
    public static void axpy(float alpha, float[] x, int xOffset, float[] y, int yOffset, int n) {
        var a = FloatVector.broadcast(F, alpha);
        int i = 0, upper = F.loopBound(n);
        for (; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOffset + i).fma(a, FloatVector.fromArray(F, y, yOffset + i)).intoArray(y, yOffset + i);
        }
        for (; i < n; i++) y[yOffset + i] += alpha * x[xOffset + i];
    }

    /**
     * out[i] = silu(gate[gateOffset + i])·up[upOffset + i] for i &lt; n, with silu(v) = v / (1 + e^-v). The exponential
     * is the scalar one: the Vector API's EXP is C2's short-vector library, a last bit apart from its own Java fallback
     * (interpreter, C1), so the result would depend on JIT state; Math.exp is one stub in every tier.
     */
    public static void siluGate(float[] gate, int gateOffset, float[] up, int upOffset, float[] out, int outOffset, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[gateOffset + i];
            out[outOffset + i] = g / (1f + (float) Math.exp(-g)) * up[upOffset + i];
        }
    }
}
