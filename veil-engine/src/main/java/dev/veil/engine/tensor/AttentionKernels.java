package dev.veil.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Prefill attention's two products as register tiles, each output lane rounding exactly as {@link VectorMath#dot}
 * and {@link VectorMath#axpy} round it one key at a time.
 *
 * <p>Scores: a block of {@link Lanes#L} keys transposed (dimension-major: {@code kt[ko + d·L + lane]} is dimension d
 * of key {@code lane}), so that one lane is one key. Partial sum j of a key's dot product (the terms at dimensions
 * ≡ j mod 16, ascending, each a fused multiply-add from zero) is then one vector for L keys, and the fixed tree of
 * {@link Lanes#sum} adds the 16 partial sums lane-wise: L scores for 15 vector adds instead of L reductions across
 * lanes. Weighted sum: 4 heads (of one KV group) × 2 vectors of dimensions accumulate over the positions in
 * registers, one value load shared by the 4 heads, instead of a load and a store of the output per position.
 */
public final class AttentionKernels {
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    private AttentionKernels() {}

    /**
     * scores[at + lane] = scale · (q[qo..qo+hd) · key lane) for the L keys of the transposed block at kt[ko..]; hd a
     * multiple of 16; work holds 8·L floats. First u_j = p_j + p_{j+8} for j &lt; 8 (into work), then the rest of
     * {@link Lanes#sum}'s tree: v_i = u_i + u_{i+4}, (v_0 + v_2) + (v_1 + v_3). The u_j go through memory because
     * vectors merged across branches of a loop are boxed; no helper returns a vector, because a helper compiled on its
     * own first is not inlined later and boxes its result at every call.
     */
    public static void scores(float[] q, int qo, float[] kt, int ko, int hd, float scale, float[] work, float[] scores, int at) {
        for (int j = 0; j < 8; j++) {
            FloatVector a = FloatVector.zero(F), b = a;  // p_j, p_{j+8}: the terms at d ≡ j, j + 8 mod 16, ascending
            for (int d = j; d < hd; d += Lanes.SUMS) {
                a = FloatVector.fromArray(F, kt, ko + d * L).fma(FloatVector.broadcast(F, q[qo + d]), a);
                b = FloatVector.fromArray(F, kt, ko + (d + 8) * L).fma(FloatVector.broadcast(F, q[qo + d + 8]), b);
            }
            a.add(b).intoArray(work, j * L);
        }
        FloatVector v0 = FloatVector.fromArray(F, work, 0).add(FloatVector.fromArray(F, work, 4 * L));
        FloatVector v1 = FloatVector.fromArray(F, work, L).add(FloatVector.fromArray(F, work, 5 * L));
        FloatVector v2 = FloatVector.fromArray(F, work, 2 * L).add(FloatVector.fromArray(F, work, 6 * L));
        FloatVector v3 = FloatVector.fromArray(F, work, 3 * L).add(FloatVector.fromArray(F, work, 7 * L));
        v0.add(v2).add(v1.add(v3)).mul(scale).intoArray(scores, at);
    }

    /**
     * out[o_h + d] = Σ_{t &lt; len}, ascending, p[p_h + t]·v[vo + t·stride + d] (fused multiply-adds from zero) for
     * the 4 heads h and the dimensions d in [d0, d0 + L) and [d1, d1 + L). A repeated head or d1 = d0 computes the
     * same sums twice and writes them twice.
     */
    public static void weightedSum(float[] p, int p0, int p1, int p2, int p3, float[] v, int vo, int stride, int len,
                                   float[] out, int o0, int o1, int o2, int o3, int d0, int d1) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int t = 0, at = vo; t < len; t++, at += stride) {
            FloatVector x0 = FloatVector.fromArray(F, v, at + d0), x1 = FloatVector.fromArray(F, v, at + d1);
            FloatVector w = FloatVector.broadcast(F, p[p0 + t]);
            a00 = x0.fma(w, a00); a01 = x1.fma(w, a01);
            w = FloatVector.broadcast(F, p[p1 + t]);
            a10 = x0.fma(w, a10); a11 = x1.fma(w, a11);
            w = FloatVector.broadcast(F, p[p2 + t]);
            a20 = x0.fma(w, a20); a21 = x1.fma(w, a21);
            w = FloatVector.broadcast(F, p[p3 + t]);
            a30 = x0.fma(w, a30); a31 = x1.fma(w, a31);
        }
        a00.intoArray(out, o0 + d0); a01.intoArray(out, o0 + d1);
        a10.intoArray(out, o1 + d0); a11.intoArray(out, o1 + d1);
        a20.intoArray(out, o2 + d0); a21.intoArray(out, o2 + d1);
        a30.intoArray(out, o3 + d0); a31.intoArray(out, o3 + d1);
    }

    /** The largest of p[at..at+len): Math.max's result in any order (NaN if any is, +0 over -0). */
    public static float max(float[] p, int at, int len) {
        var m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int t = 0;
        for (int upper = F.loopBound(len); t < upper; t += L) m = m.max(FloatVector.fromArray(F, p, at + t));
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; t < len; t++) max = Math.max(max, p[at + t]);
        return max;
    }

    /** p[at + t] /= sum for t &lt; len (lane-wise, the scalar quotient). */
    public static void divide(float[] p, int at, int len, float sum) {
        int t = 0;
        for (int upper = F.loopBound(len); t < upper; t += L) FloatVector.fromArray(F, p, at + t).div(sum).intoArray(p, at + t);
        for (; t < len; t++) p[at + t] = p[at + t] / sum;
    }
}
