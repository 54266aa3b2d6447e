package dev.veil.engine.ring;

import dev.veil.engine.Parallel;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tensor.Lanes;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix quantized for a {@link Ring}: {@code rows × cols} signed integers (row j = output feature j)
 * and one float scale per row. {@link #multiply} is the ring product both the plain exact mode and the weights
 * server run; {@link #multiplyScalar} is its plain twin. {@link #multiplyBatch} and {@link #multiplyTransposed}
 * serve a trusted node that holds the weights itself (one-time-pad restoration terms, Freivalds' check).
 */
public final class RingMatrix {
    /** Long lanes: the float width's ({@link Lanes#bits}, at least 128 bits). */
    static final VectorSpecies<Long> L = VectorSpecies.of(long.class, VectorShape.forBitSize(Lanes.bits()));
    /** Short lanes widened to L: as many as L has lanes, but at least 4 (the smallest short vector, 64 bits). */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, L.length() * 16)));
    /** Long vectors per short vector: 1, or 2 at 128 bits. */
    private static final int PARTS = S.length() / L.length();

    private final int rows, cols;
    private final short[] weights;
    private final float[] rowScales;

    RingMatrix(int rows, int cols, short[] weights, float[] rowScales) {
        this.rows = rows;
        this.cols = cols;
        this.weights = weights;
        this.rowScales = rowScales;
    }

    /**
     * Quantizes the row-major matrices {@code parts} (part i has {@code partRows[i]} rows of {@code cols}) into one
     * matrix with their rows stacked: a fused projection's outputs side by side.
     */
    public static RingMatrix quantize(Ring ring, int cols, FloatTensor[] parts, int[] partRows) {
        int rows = 0;
        for (int r : partRows) rows += r;
        if ((long) rows * cols > Integer.MAX_VALUE) throw new IllegalArgumentException("matrix too large: " + rows + "x" + cols);
        short[] w = new short[rows * cols];
        float[] scales = new float[rows];
        int base = 0;
        for (int p = 0; p < parts.length; p++) {
            FloatTensor t = parts[p];
            int first = base;
            Parallel.forEach(partRows[p], j -> {
                float[] row = new float[cols];
                t.copyRow(j, cols, row, 0);
                float max = 0f;
                for (float v : row) max = Math.max(max, Math.abs(v));
                float scale = max == 0f ? 0f : max / ring.maxWeight();
                scales[first + j] = scale;
                int o = (first + j) * cols;
                for (int i = 0; i < cols; i++) w[o + i] = scale == 0f ? 0 : (short) Math.round(row[i] / scale);
            });
            base += partRows[p];
        }
        return new RingMatrix(rows, cols, w, scales);
    }

    public int rows() { return rows; }

    public int cols() { return cols; }

    /** The scale of each output row (rows values); shared with whoever reads back results. */
    public float[] rowScales() { return rowScales.clone(); }

    /** Integer weights of row j (output feature j) into dst[offset, offset + cols): what an exporter writes out. */
    public void copyRow(int j, short[] dst, int offset) {
        System.arraycopy(weights, j * cols, dst, offset, cols);
    }

    /** Bytes held. */
    public long byteSize() {
        return 2L * weights.length + 4L * rowScales.length;
    }

    /**
     * out[r·rows + j] = Σ_i x[r·cols + i] · w[j][i] in the ring, for n input rows. Several input rows are tiled
     * against panels of weight rows (both stay in cache), four rows per widened weight vector.
     */
    public void multiply(Ring ring, long[] x, int n, long[] out) {
        check(x, n, out);
        if (n == 1) {
            Parallel.forEach(rows, j -> out[j] = ring.wrap(dot(j * cols, x, 0)));
            return;
        }
        Parallel.forEach((rows + PANEL_ROWS - 1) / PANEL_ROWS, p -> panel(ring, p, x, n, out));
    }

    /** Outputs of weight rows [p·PANEL_ROWS, (p+1)·PANEL_ROWS) for all n input rows, a block of inputs at a time. */
    private void panel(Ring ring, int p, long[] x, int n, long[] out) {
        int first = p * PANEL_ROWS, last = Math.min(rows, first + PANEL_ROWS);
        for (int r0 = 0; r0 < n; r0 += BLOCK_ROWS) {
            int r1 = Math.min(n, r0 + BLOCK_ROWS);
            for (int j = first; j < last; j++) {
                int r = r0;
                for (; r + 4 <= r1; r += 4) dot4(ring, j, x, r, out);
                for (; r < r1; r++) out[r * rows + j] = ring.wrap(dot(j * cols, x, r * cols));
            }
        }
    }

    /** Weight rows per parallel task, and input rows per block: both fit in a core's L2 cache. */
    private static final int PANEL_ROWS = 32, BLOCK_ROWS = 16;

    /** Output j of input rows r..r+3, converting each weight vector once. */
    private void dot4(Ring ring, int j, long[] x, int r, long[] out) {
        int w = j * cols, x0 = r * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        var a0 = LongVector.zero(L);
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int i = 0, upper = S.loopBound(cols);
        for (; i < upper; i += S.length()) {
            for (int part = 0, k = i; part < PARTS; part++, k += L.length()) {
                var wl = widen(w + i, part);
                a0 = a0.add(wl.mul(LongVector.fromArray(L, x, x0 + k)));
                a1 = a1.add(wl.mul(LongVector.fromArray(L, x, x1 + k)));
                a2 = a2.add(wl.mul(LongVector.fromArray(L, x, x2 + k)));
                a3 = a3.add(wl.mul(LongVector.fromArray(L, x, x3 + k)));
            }
        }
        long s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD),
                s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            long wv = weights[w + i];
            s0 += x[x0 + i] * wv;
            s1 += x[x1 + i] * wv;
            s2 += x[x2 + i] * wv;
            s3 += x[x3 + i] * wv;
        }
        out[r * rows + j] = ring.wrap(s0);
        out[(r + 1) * rows + j] = ring.wrap(s1);
        out[(r + 2) * rows + j] = ring.wrap(s2);
        out[(r + 3) * rows + j] = ring.wrap(s3);
    }

    /** Plain scalar twin of {@link #multiply}. */
    public void multiplyScalar(Ring ring, long[] x, int n, long[] out) {
        check(x, n, out);
        for (int j = 0; j < rows; j++) {
            for (int r = 0; r < n; r++) {
                long sum = 0;
                for (int i = 0; i < cols; i++) sum += x[r * cols + i] * weights[j * cols + i];
                out[r * rows + j] = ring.wrap(sum);
            }
        }
    }

    /**
     * {@link #multiply} on the calling thread only (the same tiling, panel after panel): a background producer
     * computing many rows ahead of need uses it, so it never takes the kernel pool's threads from the forward pass.
     */
    public void multiplyBatch(Ring ring, long[] x, int n, long[] out) {
        check(x, n, out);
        for (int p = 0; p < (rows + PANEL_ROWS - 1) / PANEL_ROWS; p++) panel(ring, p, x, n, out);
    }

    /**
     * The transposed product: out[t·cols + i] = Σ_j r[t·rows + j] · w[j][i] in the ring, for n vectors r of length
     * rows (one per output feature). Freivalds' check needs Wᵀ·r.
     */
    public void multiplyTransposed(Ring ring, long[] r, int n, long[] out) {
        if ((long) n * rows > r.length || (long) n * cols > out.length) {
            throw new IllegalArgumentException("shapes do not fit: " + n + " vectors of " + rows + " into " + n + "x" + cols);
        }
        int upper = S.loopBound(cols);
        for (int t = 0; t < n; t++) {
            int o = t * cols;
            java.util.Arrays.fill(out, o, o + cols, 0L);
            for (int j = 0; j < rows; j++) {
                long rj = r[t * rows + j];
                if (rj == 0) continue;
                int w = j * cols, i = 0;
                for (; i < upper; i += S.length()) {
                    for (int part = 0, k = o + i; part < PARTS; part++, k += L.length()) {
                        widen(w + i, part).mul(rj).add(LongVector.fromArray(L, out, k)).intoArray(out, k);
                    }
                }
                for (; i < cols; i++) out[o + i] += rj * weights[w + i];
            }
            for (int i = o; i < o + cols; i++) out[i] = ring.wrap(out[i]);
        }
    }

    /** Plain scalar twin of {@link #multiplyTransposed}. */
    public void multiplyTransposedScalar(Ring ring, long[] r, int n, long[] out) {
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < cols; i++) {
                long sum = 0;
                for (int j = 0; j < rows; j++) sum += r[t * rows + j] * weights[j * cols + i];
                out[t * cols + i] = ring.wrap(sum);
            }
        }
    }

    private long dot(int w, long[] x, int xo) {
        var acc = LongVector.zero(L);
        int i = 0, upper = S.loopBound(cols);
        for (; i < upper; i += S.length()) {
            for (int part = 0; part < PARTS; part++) {
                acc = acc.add(widen(w + i, part).mul(LongVector.fromArray(L, x, xo + i + part * L.length())));
            }
        }
        long sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) sum += x[xo + i] * weights[w + i];
        return sum;
    }

    /** Weights [at + part·L.length(), ...) of the short vector at {@code at}, as longs (PARTS &gt; 1 at 128 bits). */
    private LongVector widen(int at, int part) {
        return (LongVector) ShortVector.fromArray(S, weights, at).convertShape(VectorOperators.S2L, L, part);
    }

    private void check(long[] x, int n, long[] out) {
        if ((long) n * cols > x.length) throw new IllegalArgumentException("input has " + x.length + " values, need " + n + "x" + cols);
        if ((long) n * rows > out.length) throw new IllegalArgumentException("output has " + out.length + " values, need " + n + "x" + rows);
    }
}
