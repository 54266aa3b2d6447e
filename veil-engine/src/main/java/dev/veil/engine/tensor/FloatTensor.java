package dev.veil.engine.tensor;

import dev.veil.engine.Parallel;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A read-only tensor of one GGML type, viewed as a flat sequence of float values. Weight matrices are
 * row-major with {@code cols} (GGUF's ne0, the input features) contiguous: row j holds output feature j.
 *
 * <p>Each subclass is one storage format. {@link #dot} is its vectorized kernel and {@link #dotScalar} the
 * plain twin the tests check it against; {@link #matmul} is the matrix product every weight multiply uses.
 */
public abstract class FloatTensor {
    public static final VectorSpecies<Float> F_SPECIES = FloatVector.SPECIES_PREFERRED;

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

    /**
     * Matrix product with this tensor as a {@code rows × cols} weight matrix W: for each of the {@code n} input
     * rows x_r = x[r·cols, (r+1)·cols), writes {@code out[r·outStride + outOffset + j] = W_j · x_r} for j &lt; rows.
     * Runs on the engine's pool. Subclasses override it with faster kernels; results must match this one within
     * the format's rounding.
     */
    public void matmul(float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        checkShape(x, n, rows, cols, out, outStride, outOffset);
        Parallel.forEach(rows, j -> {
            long rowOffset = (long) j * cols;
            for (int r = 0; r < n; r++) out[r * outStride + outOffset + j] = dot(rowOffset, x, r * cols, cols);
        });
    }

    /** Row {@code row} of a matrix with {@code cols} columns, dequantized into dst[dstOffset...]. */
    public void copyRow(int row, int cols, float[] dst, int dstOffset) {
        long base = (long) row * cols;
        for (int i = 0; i < cols; i++) dst[dstOffset + i] = getFloat(base + i);
    }

    /** All elements, dequantized (small tensors only: norms, biases). */
    public float[] toFloatArray() {
        if (size() > Integer.MAX_VALUE) throw new IllegalStateException("tensor too large for an array: " + size());
        float[] a = new float[(int) size()];
        for (int i = 0; i < a.length; i++) a[i] = getFloat(i);
        return a;
    }

    protected final void checkShape(float[] x, int n, int rows, int cols, float[] out, int outStride, int outOffset) {
        if ((long) rows * cols > size()) {
            throw new IllegalArgumentException("matrix " + rows + "x" + cols + " exceeds tensor of " + size() + " elements");
        }
        if ((long) n * cols > x.length) {
            throw new IllegalArgumentException("input has " + x.length + " values, need " + n + "x" + cols);
        }
        if (outOffset + rows > outStride || (long) (n - 1) * outStride + outOffset + rows > out.length) {
            throw new IllegalArgumentException("output of " + out.length + " values cannot hold " + n + "x" + rows
                    + " at stride " + outStride + ", offset " + outOffset);
        }
    }
}
