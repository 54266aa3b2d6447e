package dev.veil.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float matrix-matrix kernel of prefill: out[r][j] = w_j · x_r for a panel of dequantized weight rows and
 * all input rows. A 4 × 4 register tile (4 weight rows against 4 input rows, 16 vector accumulators) loads 8
 * vectors per 16 FMAs, so each weight value fetched serves 4 input rows and each input value 4 weight rows.
 * Edge tiles repeat the last row instead of branching; the repeated results are not written.
 */
final class FloatGemm {
    static final int TILE = 4;
    private static final VectorSpecies<Float> F = FloatTensor.F_SPECIES;

    private FloatGemm() {}

    static void multiply(float[] w, int wRows, float[] x, int n, int cols, float[] out, int outStride, int outOffset) {
        float[] tile = new float[TILE * TILE];
        for (int r0 = 0; r0 < n; r0 += TILE) {
            int r1 = Math.min(r0 + 1, n - 1), r2 = Math.min(r0 + 2, n - 1), r3 = Math.min(r0 + 3, n - 1);
            for (int j0 = 0; j0 < wRows; j0 += TILE) {
                int j1 = Math.min(j0 + 1, wRows - 1), j2 = Math.min(j0 + 2, wRows - 1), j3 = Math.min(j0 + 3, wRows - 1);
                kernel(w, j0 * cols, j1 * cols, j2 * cols, j3 * cols, x, r0 * cols, r1 * cols, r2 * cols, r3 * cols, cols, tile);
                for (int r = 0; r < TILE && r0 + r < n; r++) {
                    int o = (r0 + r) * outStride + outOffset + j0;
                    for (int j = 0; j < TILE && j0 + j < wRows; j++) out[o + j] = tile[r * TILE + j];
                }
            }
        }
    }

    /** tile[r·4 + j] = w_j · x_r over cols values. */
    private static void kernel(float[] w, int w0, int w1, int w2, int w3, float[] x, int x0, int x1, int x2, int x3,
                               int cols, float[] tile) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int len = F.length(), upper = F.loopBound(cols), k = 0;
        for (; k < upper; k += len) {
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
        tile[0] = FloatTensor.sumLanes(a00); tile[1] = FloatTensor.sumLanes(a01);
        tile[2] = FloatTensor.sumLanes(a02); tile[3] = FloatTensor.sumLanes(a03);
        tile[4] = FloatTensor.sumLanes(a10); tile[5] = FloatTensor.sumLanes(a11);
        tile[6] = FloatTensor.sumLanes(a12); tile[7] = FloatTensor.sumLanes(a13);
        tile[8] = FloatTensor.sumLanes(a20); tile[9] = FloatTensor.sumLanes(a21);
        tile[10] = FloatTensor.sumLanes(a22); tile[11] = FloatTensor.sumLanes(a23);
        tile[12] = FloatTensor.sumLanes(a30); tile[13] = FloatTensor.sumLanes(a31);
        tile[14] = FloatTensor.sumLanes(a32); tile[15] = FloatTensor.sumLanes(a33);
        for (; k < cols; k++) {
            int[] ws = {w0, w1, w2, w3}, xs = {x0, x1, x2, x3};
            for (int r = 0; r < TILE; r++) for (int j = 0; j < TILE; j++) tile[r * TILE + j] += w[ws[j] + k] * x[xs[r] + k];
        }
    }
}
