package dev.veil.engine.gguf;

import dev.veil.engine.Parallel;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.engine.tensor.Quantizer;
import java.lang.foreign.MemorySegment;

/** Tensor data for {@link GGUFWriter} made row by row from floats, encoded into a GGML type. */
public final class TensorSources {
    private static final long CHUNK_BYTES = 4 << 20;

    private TensorSources() {}

    /** Fills {@code dst} (one row of {@code dst.length} values) with row {@code row}; called from several threads. */
    @FunctionalInterface
    public interface RowFiller {
        void fill(long row, float[] dst);
    }

    /** Whether rows of {@code cols} values can be stored as {@code type} (whole blocks, and an encoder exists). */
    public static boolean canEncode(GGMLType type, long cols) {
        return ENCODABLE.contains(type) && cols % type.blockSize == 0;
    }

    /** The types rows can be encoded into. */
    public static final java.util.Set<GGMLType> ENCODABLE = GGMLType.SUPPORTED;

    /**
     * A {@code rows × cols} tensor of {@code type} whose rows {@code filler} makes; rows are made and encoded in
     * parallel, a few MiB at a time, so the whole tensor is never in memory.
     */
    public static GGUFWriter.TensorSource rows(GGMLType type, long rows, int cols, RowFiller filler) {
        if (!canEncode(type, cols)) {
            throw new IllegalArgumentException("cannot encode rows of " + cols + " values as " + type
                    + (ENCODABLE.contains(type) ? " (needs a multiple of " + type.blockSize + ")" : " (encodable: " + ENCODABLE + ")"));
        }
        int rowBytes = Math.toIntExact(type.byteSize(cols));
        int chunkRows = (int) Math.max(1, Math.min(rows, CHUNK_BYTES / rowBytes));
        return out -> {
            byte[] buf = new byte[chunkRows * rowBytes];
            for (long start = 0; start < rows; start += chunkRows) {
                int n = (int) Math.min(chunkRows, rows - start);
                long first = start;
                Parallel.forEach(n, r -> {
                    float[] row = new float[cols];
                    filler.fill(first + r, row);
                    encode(type, row, buf, r * rowBytes);
                });
                out.write(buf, 0, n * rowBytes);
            }
        };
    }

    /** A one-row (vector) tensor of {@code values}. */
    public static GGUFWriter.TensorSource vector(GGMLType type, float[] values) {
        return rows(type, 1, values.length, (r, dst) -> System.arraycopy(values, 0, dst, 0, values.length));
    }

    /** Encodes {@code values} (whole blocks) as {@code type} into {@code dst} at {@code offset}, as ggml's reference quantizers do. */
    public static void encode(GGMLType type, float[] values, byte[] dst, int offset) {
        Quantizer.quantize(type, values, 0, values.length, MemorySegment.ofArray(dst), offset);
    }
}
