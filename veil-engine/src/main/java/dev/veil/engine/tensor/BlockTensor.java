package dev.veil.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A format stored in fixed-size blocks (GGML's quantized types). Subclasses decode and multiply whole blocks;
 * this class handles ranges that start or end inside a block with the scalar path.
 */
abstract sealed class BlockTensor extends FloatTensor permits Q8_0Tensor, Q4_0Tensor, Q4_KTensor, Q6_KTensor {
    protected final GGMLType type;
    protected final long size;
    protected final MemorySegment segment;
    protected final int block;

    BlockTensor(GGMLType type, long size, MemorySegment segment) {
        Layouts.requireBytes(segment, type, size);
        this.type = type;
        this.size = size;
        this.segment = segment;
        this.block = type.blockSize;
    }

    @Override public final GGMLType type() { return type; }
    @Override public final long size() { return size; }
    @Override public final MemorySegment segment() { return segment; }

    /** Σ over {@code blocks} whole blocks from block {@code first} of element · x[xOffset...]. */
    abstract float dotBlocks(long first, float[] x, int xOffset, int blocks);

    /** Decodes {@code blocks} whole blocks from block {@code first} into dst[dstOffset...]. */
    abstract void dequantizeBlocks(long first, float[] dst, int dstOffset, int blocks);

    /**
     * Ranges with partial blocks. Subclasses send whole-block ranges to their kernel themselves: were that call
     * made here, every format's kernel would meet at one call site and C2 would compile them worse together.
     */
    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        int head = (int) Math.min(n, Math.floorMod(-offset, (long) block)), blocks = (n - head) / block;
        int middle = blocks * block;
        float sum = dotScalar(offset, x, xOffset, head);
        if (blocks > 0) sum += dotBlocks((offset + head) / block, x, xOffset + head, blocks);
        return sum + dotScalar(offset + head + middle, x, xOffset + head + middle, n - head - middle);
    }

    @Override
    public final void dequantize(long offset, float[] dst, int dstOffset, int n) {
        int head = (int) Math.min(n, Math.floorMod(-offset, (long) block)), blocks = (n - head) / block;
        int middle = blocks * block;
        for (int i = 0; i < head; i++) dst[dstOffset + i] = getFloat(offset + i);
        if (blocks > 0) dequantizeBlocks((offset + head) / block, dst, dstOffset + head, blocks);
        for (int i = head + middle; i < n; i++) dst[dstOffset + i] = getFloat(offset + i);
    }
}
