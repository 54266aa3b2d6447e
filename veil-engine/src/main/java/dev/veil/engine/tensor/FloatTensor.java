package dev.veil.engine.tensor;

import dev.veil.engine.Parallel;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.VectorSpecies;

/**
 * A read-only tensor of one GGML type, viewed as a flat sequence of float values. Weight matrices are
 * row-major with {@code cols} (GGUF's ne0, the input features) contiguous: row j holds output feature j.
 *
 * <p>Each subclass is one storage format over its bytes, never copied to the heap. {@link #dot} is its
 * vectorized kernel and {@link #dotScalar} the plain twin the tests check it against; {@link #matmul} is the
 * matrix product every weight multiply uses.
 */
public abstract class FloatTensor {
    /** The float vector width ({@link Lanes#F}: preferred, or forced by {@code -Dveil.vectorBits}). */
    public static final VectorSpecies<Float> F_SPECIES = Lanes.F;

    /** Input rows from which {@link #matmul} switches from row-by-row dot products to the tiled kernel. */
    static final int GEMM_MIN_ROWS = 4;

    /** Weight rows dequantized at once by the tiled kernel (a multiple of {@link FloatGemm#TILE_W}: 16, or 15 for the 4 × 3 tile). */
    static final int PANEL_ROWS = FloatGemm.TILE_W == 3 ? 15 : 16;

    private static final ThreadLocal<float[][]> PANEL = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * The kernels this JVM runs, for {@code veil bench}: the prefill GEMM's tile (input rows × weight rows; 4 × 3 where
     * the CPU has 16 vector registers) and the decode kernels of Q8_0 and Q4_0.
     */
    public static String kernelChoices() {
        return "prefill float GEMM, " + FloatGemm.tile() + " tile (" + FloatGemm.tileReason() + "), panels of " + PANEL_ROWS
                + " rows; decode Q8_0/Q4_0 float dot against the input (Q8_0 " + Q8_0Tensor.decodeReads() + ", Q4_0 "
                + Q4_0Tensor.decodeReads() + ")";
    }

    public abstract GGMLType type();

    /** Number of elements. */
    public abstract long size();

    /** Element {@code index}, dequantized. */
    public abstract float getFloat(long index);

    /** The tensor's bytes (mapped from the model file, or on the heap for tensors built in memory). */
    public abstract MemorySegment segment();

    /** Vectorized dot product of elements [offset, offset + n) with x[xOffset, xOffset + n). */
    public abstract float dot(long offset, float[] x, int xOffset, int n);

    /** Plain scalar twin of {@link #dot}. */
    public float dotScalar(long offset, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) sum += getFloat(offset + i) * x[xOffset + i];
        return sum;
    }

    /** Dequantizes elements [offset, offset + n) into dst[dstOffset...]; formats override it block by block. */
    public void dequantize(long offset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = getFloat(offset + i);
    }

    /**
     * Matrix product with this tensor as a {@code rows × cols} weight matrix W: for each of the {@code n} input
     * rows x_r = x[r·cols, (r+1)·cols), writes {@code out[r·outStride + outOffset + j] = W_j · x_r} for j &lt; rows.
     * Runs on the engine's pool. Few input rows (decode) take one {@link #dot} per output; more (prefill) take
     * the tiled kernel, which dequantizes {@link #PANEL_ROWS} weight rows at a time and reuses them for every
     * input row. Subclasses override it with faster kernels; results must match this one within the format's
     * rounding.
     */
    public void matmul(float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        checkShape(x, n, rows, cols, out, outStride, outOffset);
        if (n < GEMM_MIN_ROWS) {
            matmulByDot(x, n, rows, cols, out, outStride, outOffset);
        } else {
            matmulTiled(x, n, rows, cols, out, outStride, outOffset);
        }
    }

    /** One vectorized dot product per output: what decode needs (memory-bound, one pass over W). */
    protected final void matmulByDot(float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        DecodeInput.matmulByDot(this, x, n, rows, cols, out, outStride, outOffset);
    }

    /** Dequantizes panels of weight rows and multiplies each with all input rows (compute-bound prefill). */
    protected final void matmulTiled(float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        int panels = (rows + PANEL_ROWS - 1) / PANEL_ROWS;
        Parallel.forEachCoarse(panels, p -> {
            int first = p * PANEL_ROWS, count = Math.min(PANEL_ROWS, rows - first);
            float[] panel = panel(PANEL_ROWS * cols);
            for (int i = 0; i < count; i++) dequantize((long) (first + i) * cols, panel, i * cols, cols);
            FloatGemm.multiply(panel, count, x, n, cols, out, outStride, outOffset + first);
        });
    }

    /** Decode by the format's kernel: x prepared once ({@link DecodeInput}), one parallel pass over the rows. */
    static void decodeMatmul(DecodeInput.Kernel w, float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        DecodeInput.matmul(w, x, n, rows, cols, out, outStride, outOffset);
    }

    /**
     * A fused projection: matrices {@code parts} (part i is {@code partRows[i] × cols}) applied to the same input,
     * their outputs side by side from {@code out[r·outStride]}. Where all parts have decode kernels, the input is
     * prepared once and all rows are one parallel pass; otherwise each part runs its own
     * {@link #matmul}. The results are the same either way.
     */
    public static void matmulFused(FloatTensor[] parts, int[] partRows, float[] x, int n, int cols, float[] out, int outStride) {
        boolean decode = n < GEMM_MIN_ROWS && cols % 32 == 0;
        int total = 0;
        for (int i = 0; i < parts.length; i++) {
            parts[i].checkShape(x, n, partRows[i], cols, out, outStride, total);
            decode &= parts[i] instanceof DecodeInput.Kernel;
            total += partRows[i];
        }
        if (!decode) {
            for (int i = 0, offset = 0; i < parts.length; offset += partRows[i++]) {
                parts[i].matmul(x, n, partRows[i], cols, out, outStride, offset);
            }
            return;
        }
        DecodeInput.matmulFused(parts, partRows, total, x, n, cols, out, outStride);
    }

    private static float[] panel(int size) {
        float[][] holder = PANEL.get();
        if (holder[0].length < size) holder[0] = new float[size];
        return holder[0];
    }

    /** Row {@code row} of a matrix with {@code cols} columns, dequantized into dst[dstOffset...]. */
    public void copyRow(int row, int cols, float[] dst, int dstOffset) {
        dequantize((long) row * cols, dst, dstOffset, cols);
    }

    /** All elements, dequantized (small tensors only: norms, biases). */
    public float[] toFloatArray() {
        if (size() > Integer.MAX_VALUE) throw new IllegalStateException("tensor too large for an array: " + size());
        float[] a = new float[(int) size()];
        dequantize(0, a, 0, a.length);
        return a;
    }

    protected final void checkShape(float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        if (n < 0 || rows < 0 || cols < 0 || outOffset < 0) {
            throw new IllegalArgumentException("negative matmul dimension: n=" + n + " rows=" + rows + " cols=" + cols
                    + " offset=" + outOffset);
        }
        if ((long) rows * cols > size()) {
            throw new IllegalArgumentException("matrix " + rows + "x" + cols + " exceeds tensor of " + size() + " elements");
        }
        if ((long) n * cols > x.length) {
            throw new IllegalArgumentException("input has " + x.length + " values, need " + n + "x" + cols);
        }
        if (n > 0 && (outOffset + rows > outStride || (long) (n - 1) * outStride + outOffset + rows > out.length)) {
            throw new IllegalArgumentException("output of " + out.length + " values cannot hold " + n + "x" + rows
                    + " at stride " + outStride + ", offset " + outOffset);
        }
    }
}
