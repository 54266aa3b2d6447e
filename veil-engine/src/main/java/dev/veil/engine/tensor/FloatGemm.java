package dev.veil.engine.tensor;

import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float matrix-matrix kernel of prefill: out[r][j] = w_j · x_r for a panel of dequantized weight rows and
 * all input rows. A register tile of 4 input rows against {@link #TILE_W} weight rows keeps 4·TILE_W vector
 * accumulators: 4 × 4 (16 accumulators, 8 vector loads per 16 FMAs) where the CPU has 32 vector registers (AVX-512,
 * NEON), 4 × 3 (12 accumulators, 3 weight vectors and one input vector: exactly 16 registers) on AVX2, whose 16
 * registers the 4 × 4 tile's 21 live vectors overflow (under {@code -XX:UseAVX=2} the 4 × 3 tile took 0.80–0.86× the
 * time of the 4 × 4 one; docs/kernels.md). Edge tiles repeat the last row instead of branching; the repeated results
 * are not written.
 *
 * <p>The columns run in blocks of {@link #KC}: for 4 input rows, each block is multiplied with every tile of the panel
 * before the next, so those rows' block stays in L1 across the panel's tiles instead of coming from L2 once per
 * tile. The accumulators carry over between blocks through {@code partials}, each lane's terms still added in
 * ascending column order: the results are the same bits as one pass over all columns, whatever the tile.
 */
final class FloatGemm {
    /** Input rows per tile. */
    static final int TILE = 4;
    /** Weight rows per tile: 4, or 3 where the CPU has 16 vector registers ({@code -Dveil.gemmTile=4x4|4x3}). */
    static final int TILE_W = tileWeightRows(System.getProperty("veil.gemmTile"));
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    /** Columns per block: a multiple of {@link Lanes#SUMS}; 4 input rows of it are 8 KB. */
    static final int KC = 512;

    /** The accumulators of a panel's tiles between column blocks: room for 16 rows in 4 × 3 tiles (6 tiles of 12). */
    private static final ThreadLocal<float[]> PARTIALS = ThreadLocal.withInitial(() -> new float[TILE * 18 * Lanes.SUMS]);

    private FloatGemm() {}

    /**
     * 3 on x86 without AVX-512 ({@code UseAVX} below 3: 16 vector registers), else 4; {@code forced} ("4x4" or "4x3")
     * overrides.
     */
    static int tileWeightRows(String forced) {
        if ("4x4".equals(forced)) return 4;
        if ("4x3".equals(forced)) return 3;
        if (forced != null) System.err.println("veil: ignoring -Dveil.gemmTile=" + forced + " (use 4x4 or 4x3)");
        String arch = System.getProperty("os.arch", "");
        if (!arch.equals("amd64") && !arch.equals("x86_64")) return 4;
        try {
            var vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return Integer.parseInt(vm.getVMOption("UseAVX").getValue()) >= 3 ? 4 : 3;
        } catch (RuntimeException | LinkageError e) {
            return 4;
        }
    }

    /** The tile, as {@code veil bench} prints it ("4x4" or "4x3": input rows × weight rows). */
    static String tile() {
        return TILE + "x" + TILE_W;
    }

    /** Why this tile: forced, or the vector registers the CPU has (x86's {@code UseAVX}). */
    static String tileReason() {
        String forced = System.getProperty("veil.gemmTile");
        if ("4x4".equals(forced) || "4x3".equals(forced)) return "forced by -Dveil.gemmTile";
        return TILE_W == 3 ? "16 vector registers: x86 without AVX-512" : "32 vector registers";
    }

    /** Weight rows of a panel: at most {@link FloatTensor#PANEL_ROWS}. */
    static void multiply(float[] w, int wRows, float[] x, int n, int cols, float[] out, int outStride, int outOffset) {
        multiply(w, wRows, x, n, cols, out, outStride, outOffset, TILE_W);
    }

    /**
     * The same with the tile's weight rows given (4 or 3; both give the same bits). Each tile has its own loop, so that
     * a JVM compiles only the one it runs (with {@link #TILE_W} a constant the choice folds away).
     */
    static void multiply(float[] w, int wRows, float[] x, int n, int cols, float[] out, int outStride, int outOffset, int tileW) {
        if (wRows > FloatTensor.PANEL_ROWS) throw new IllegalArgumentException("panel of " + wRows + " rows");
        if (tileW == 4) {
            multiply4(w, wRows, x, n, cols, out, outStride, outOffset);
        } else {
            multiply3(w, wRows, x, n, cols, out, outStride, outOffset);
        }
    }

    private static void multiply4(float[] w, int wRows, float[] x, int n, int cols, float[] out, int outStride, int outOffset) {
        float[] partials = PARTIALS.get();
        int upper = cols & -Lanes.SUMS, tiles = (wRows + 3) / 4, used = tiles * TILE * 4 * Lanes.SUMS;
        for (int r0 = 0; r0 < n; r0 += TILE) {
            int r1 = Math.min(r0 + 1, n - 1), r2 = Math.min(r0 + 2, n - 1), r3 = Math.min(r0 + 3, n - 1);
            java.util.Arrays.fill(partials, 0, used, 0f);
            for (int k0 = 0; k0 < upper; k0 += KC) {
                int k1 = Math.min(upper, k0 + KC);
                for (int t = 0; t < tiles; t++) {
                    int j0 = t * 4;
                    int j1 = Math.min(j0 + 1, wRows - 1), j2 = Math.min(j0 + 2, wRows - 1), j3 = Math.min(j0 + 3, wRows - 1);
                    for (int part = 0; part < Lanes.PARTS; part++) {
                        kernel(w, j0 * cols, j1 * cols, j2 * cols, j3 * cols, x, r0 * cols, r1 * cols, r2 * cols, r3 * cols,
                                k0, k1, part * L, partials, t * TILE * 4 * Lanes.SUMS);
                    }
                }
            }
            write(partials, 4, w, wRows, x, r0, n, cols, upper, out, outStride, outOffset);
        }
    }

    private static void multiply3(float[] w, int wRows, float[] x, int n, int cols, float[] out, int outStride, int outOffset) {
        float[] partials = PARTIALS.get();
        int upper = cols & -Lanes.SUMS, tiles = (wRows + 2) / 3, used = tiles * TILE * 3 * Lanes.SUMS;
        for (int r0 = 0; r0 < n; r0 += TILE) {
            int r1 = Math.min(r0 + 1, n - 1), r2 = Math.min(r0 + 2, n - 1), r3 = Math.min(r0 + 3, n - 1);
            java.util.Arrays.fill(partials, 0, used, 0f);
            for (int k0 = 0; k0 < upper; k0 += KC) {
                int k1 = Math.min(upper, k0 + KC);
                for (int t = 0; t < tiles; t++) {
                    int j0 = t * 3;
                    int j1 = Math.min(j0 + 1, wRows - 1), j2 = Math.min(j0 + 2, wRows - 1);
                    for (int part = 0; part < Lanes.PARTS; part++) {
                        kernel3(w, j0 * cols, j1 * cols, j2 * cols, x, r0 * cols, r1 * cols, r2 * cols, r3 * cols,
                                k0, k1, part * L, partials, t * TILE * 3 * Lanes.SUMS);
                    }
                }
            }
            write(partials, 3, w, wRows, x, r0, n, cols, upper, out, outStride, outOffset);
        }
    }

    /**
     * Input rows r0..r0+3 (those below n): each output the fixed tree over its 16 sums (by vectors: {@link Lanes#sum}
     * of the loaded parts, the same tree as over the array), then the columns past upper.
     */
    private static void write(float[] partials, int tileW, float[] w, int wRows, float[] x, int r0, int n, int cols, int upper,
                              float[] out, int outStride, int outOffset) {
        int s = Lanes.SUMS;
        for (int r = 0; r < TILE && r0 + r < n; r++) {
            int o = (r0 + r) * outStride + outOffset;
            for (int j = 0, p = r * tileW * s; j < wRows; p += (TILE - 1) * tileW * s) {  // tile by tile
                for (int end = Math.min(j + tileW, wRows); j < end; j++, p += s) {
                    FloatVector a0 = FloatVector.fromArray(F, partials, p), a1 = a0, a2 = a0, a3 = a0;
                    if (Lanes.PARTS > 1) a1 = FloatVector.fromArray(F, partials, p + L);
                    if (Lanes.PARTS > 2) {
                        a2 = FloatVector.fromArray(F, partials, p + 2 * L);
                        a3 = FloatVector.fromArray(F, partials, p + 3 * L);
                    }
                    float sum = Lanes.sum(a0, a1, a2, a3);
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

    /** {@link #kernel} for 3 weight rows (partials[at + (r·3 + j)·16 + lane...]): 12 accumulators, for 16 registers. */
    private static void kernel3(float[] w, int w0, int w1, int w2, float[] x, int x0, int x1, int x2, int x3,
                                int k0, int k1, int lane, float[] partials, int at) {
        int s = Lanes.SUMS, p = at + lane;
        FloatVector a00 = FloatVector.fromArray(F, partials, p), a01 = FloatVector.fromArray(F, partials, p + s);
        FloatVector a02 = FloatVector.fromArray(F, partials, p + 2 * s), a10 = FloatVector.fromArray(F, partials, p + 3 * s);
        FloatVector a11 = FloatVector.fromArray(F, partials, p + 4 * s), a12 = FloatVector.fromArray(F, partials, p + 5 * s);
        FloatVector a20 = FloatVector.fromArray(F, partials, p + 6 * s), a21 = FloatVector.fromArray(F, partials, p + 7 * s);
        FloatVector a22 = FloatVector.fromArray(F, partials, p + 8 * s), a30 = FloatVector.fromArray(F, partials, p + 9 * s);
        FloatVector a31 = FloatVector.fromArray(F, partials, p + 10 * s), a32 = FloatVector.fromArray(F, partials, p + 11 * s);
        for (int k = k0 + lane; k < k1; k += Lanes.SUMS) {
            FloatVector v0 = FloatVector.fromArray(F, w, w0 + k), v1 = FloatVector.fromArray(F, w, w1 + k);
            FloatVector v2 = FloatVector.fromArray(F, w, w2 + k);
            FloatVector u = FloatVector.fromArray(F, x, x0 + k);
            a00 = v0.fma(u, a00); a01 = v1.fma(u, a01); a02 = v2.fma(u, a02);
            u = FloatVector.fromArray(F, x, x1 + k);
            a10 = v0.fma(u, a10); a11 = v1.fma(u, a11); a12 = v2.fma(u, a12);
            u = FloatVector.fromArray(F, x, x2 + k);
            a20 = v0.fma(u, a20); a21 = v1.fma(u, a21); a22 = v2.fma(u, a22);
            u = FloatVector.fromArray(F, x, x3 + k);
            a30 = v0.fma(u, a30); a31 = v1.fma(u, a31); a32 = v2.fma(u, a32);
        }
        a00.intoArray(partials, p); a01.intoArray(partials, p + s); a02.intoArray(partials, p + 2 * s);
        a10.intoArray(partials, p + 3 * s); a11.intoArray(partials, p + 4 * s); a12.intoArray(partials, p + 5 * s);
        a20.intoArray(partials, p + 6 * s); a21.intoArray(partials, p + 7 * s); a22.intoArray(partials, p + 8 * s);
        a30.intoArray(partials, p + 9 * s); a31.intoArray(partials, p + 10 * s); a32.intoArray(partials, p + 11 * s);
    }
}
