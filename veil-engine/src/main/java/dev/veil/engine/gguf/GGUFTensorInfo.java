package dev.veil.engine.gguf;

import dev.veil.engine.tensor.GGMLType;
import java.util.Arrays;

/**
 * A tensor's entry in a GGUF file. {@code dims[0]} (GGML's ne0) is the contiguous dimension: a weight matrix
 * with {@code dims = [cols, rows]} stores row j (output feature j) at elements [j·cols, (j+1)·cols).
 *
 * @param offset byte offset of its data from the start of the file's data section
 */
public record GGUFTensorInfo(String name, long[] dims, GGMLType type, long offset) {
    public GGUFTensorInfo {
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    public long elements() {
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() {
        return type.byteSize(elements());
    }

    /** Shape as GGML writes it, e.g. {@code [64, 512]}. */
    public String shape() {
        return Arrays.toString(dims);
    }
}
