package dev.veil.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float matrix-matrix kernel of prefill: out[r][j] = w_j · x_r for a panel of dequantized weight rows and
 * all input rows. A 4 × 4 register tile (4 weight rows against 4 input rows, 16 vector accumulators) loads 8
 * vectors per 16 FMAs, so each weight value fetched serves 4 input rows and each input value 4 weight rows.
 * Edge tiles repeat the last row instead of branching; the repeated results are not written.
 *
 * <p>The columns run in blocks of {@link #KC}: for 4 input rows, each block is multiplied with every tile of the panel
 * before the next, so those rows' block stays in L1 across the panel's tiles instead of coming from L2 once per
 * tile. The accumulators carry over between blocks through {@code partials}, each lane's terms still added in
 * ascending column order: the results are the same bits as one pass over all columns.
 */
final class FloatGemm {
    static final int TILE = 4;
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    /** Columns per block: a multiple of {@link Lanes#SUMS}; 4 input rows of it are 8 KB. */
    static final int KC = 512;

    private static final ThreadLocal<float[]> PARTIALS =
            ThreadLocal.withInitial(() -> new float[TILE * FloatTensor.PANEL_ROWS * Lanes.SUMS]);

    private FloatGemm() {}

    /** Weight rows of a panel: at most {@link FloatTensor#PANEL_ROWS}. */
    static void multiply(float[] w, int wRows, float[] x, int n, int cols, float[] out, int outStride, int outOffset) {
        if (wRows > FloatTensor.PANEL_ROWS) throw new IllegalArgumentException("panel of " + wRows + " rows");
        float[] partials = PARTIALS.get();
        int upper = cols & -Lanes.SUMS, tiles = (wRows + TILE - 1) / TILE;
        for (int r0 = 0; r0 < n; r0 += TILE) {
            int r1 = Math.min(r0 + 1, n - 1), r2 = Math.min(r0 + 2, n - 1), r3 = Math.min(r0 + 3, n - 1);
            java.util.Arrays.fill(partials, 0f);
            for (int k0 = 0; k0 < upper; k0 += KC) {
                int k1 = Math.min(upper, k0 + KC);
                for (int t = 0; t < tiles; t++) {
                    int j0 = t * TILE;
                    int j1 = Math.min(j0 + 1, wRows - 1), j2 = Math.min(j0 + 2, wRows - 1), j3 = Math.min(j0 + 3, wRows - 1);
                    for (int part = 0; part < Lanes.PARTS; part++) {
                        kernel(w, j0 * cols, j1 * cols, j2 * cols, j3 * cols, x, r0 * cols, r1 * cols, r2 * cols, r3 * cols,
                                k0, k1, part * L, partials, t * TILE * TILE * Lanes.SUMS);
                    }
                }
            }
            for (int r = 0; r < TILE && r0 + r < n; r++) {
                int o = (r0 + r) * outStride + outOffset;
                for (int j = 0; j < wRows; j++) {
                    float sum = Lanes.sum(partials, ((j / TILE) * TILE * TILE + r * TILE + j % TILE) * Lanes.SUMS);
                    for (int k = upper; k < cols; k++) sum += w[j * cols + k] * x[(r0 + r) * cols + k];
                    out[o + j] = sum;
                }
            }
        }
    }

    /**
     * Lanes [lane, lane + L) of the 16 partial sums of w_j · x_r (the terms at k ≡ lane..lane+L-1 mod 16) over columns
     * [k0, k1), continued from and written back to partials[at + (r·4 + j)·16 + lane...]: one pass per
     * {@link Lanes#PARTS}, so that 16 accumulators fit the registers at every width and the sums round the same.
     */
    private static void kernel(float[] w, int w0, int w1, int w2, int w3, float[] x, int x0, int x1, int x2, int x3,
                               int k0, int k1, int lane, float[] partials, int at) {
        int s = Lanes.SUMS, p = at + lane;
        FloatVector a00 = FloatVector.fromArray(F, partials, p), a01 = FloatVector.fromArray(F, partials, p + s);
        FloatVector a02 = FloatVector.fromArray(F, partials, p + 2 * s), a03 = FloatVector.fromArray(F, partials, p + 3 * s);
        FloatVector a10 = FloatVector.fromArray(F, partials, p + 4 * s), a11 = FloatVector.fromArray(F, partials, p + 5 * s);
        FloatVector a12 = FloatVector.fromArray(F, partials, p + 6 * s), a13 = FloatVector.fromArray(F, partials, p + 7 * s);
        FloatVector a20 = FloatVector.fromArray(F, partials, p + 8 * s), a21 = FloatVector.fromArray(F, partials, p + 9 * s);
        FloatVector a22 = FloatVector.fromArray(F, partials, p + 10 * s), a23 = FloatVector.fromArray(F, partials, p + 11 * s);
        FloatVector a30 = FloatVector.fromArray(F, partials, p + 12 * s), a31 = FloatVector.fromArray(F, partials, p + 13 * s);
        FloatVector a32 = FloatVector.fromArray(F, partials, p + 14 * s), a33 = FloatVector.fromArray(F, partials, p + 15 * s);
        for (int k = k0 + lane; k < k1; k += Lanes.SUMS) {
            FloatVector v0 = FloatVector.fromArray(F, w, w0 + k), v1 = FloatVector.fromArray(F, w, w1 + k);
            FloatVector v2 = FloatVector.fromArray(F, w, w2 + k), v3 = FloatVector.fromArray(F, w, w3 + k);
            FloatVector u = FloatVector.fromArray(F, x, x0 + k);
            a00 = v0.fma(u, a00); a01 = v1.fma(u, a01); a02 = v2.fma(u, a02); a03 = v3.fma(u, a03);
            u = FloatVector.fromArray(F, x, x1 + k);
            a10 = v0.fma(u, a10); a11 = v1.fma(u, a11); a12 = v2.fma(u, a12); a13 = v3.fma(u, a13);
            u = FloatVector.fromArray(F, x, x2 + k);
            a20 = v0.fma(u, a20); a21 = v1.fma(u, a21); a22 = v2.fma(u, a22); a23 = v3.fma(u, a23);
            u = FloatVector.fromArray(F, x, x3 + k);
            a30 = v0.fma(u, a30); a31 = v1.fma(u, a31); a32 = v2.fma(u, a32); a33 = v3.fma(u, a33);
        }
        a00.intoArray(partials, p); a01.intoArray(partials, p + s);
        a02.intoArray(partials, p + 2 * s); a03.intoArray(partials, p + 3 * s);
        a10.intoArray(partials, p + 4 * s); a11.intoArray(partials, p + 5 * s);
        a12.intoArray(partials, p + 6 * s); a13.intoArray(partials, p + 7 * s);
        a20.intoArray(partials, p + 8 * s); a21.intoArray(partials, p + 9 * s);
        a22.intoArray(partials, p + 10 * s); a23.intoArray(partials, p + 11 * s);
        a30.intoArray(partials, p + 12 * s); a31.intoArray(partials, p + 13 * s);
        a32.intoArray(partials, p + 14 * s); a33.intoArray(partials, p + 15 * s);
    }
}
