package dev.veil.engine.inference;

import dev.veil.engine.model.LlamaConfig;

/** Keys and values of every past position, per layer: the mutable state of one sequence. */
public final class KVCache {
    final float[][] keys;
    final float[][] values;
    final int capacity;
    int length;

    public KVCache(LlamaConfig c, int capacity) {
        if (capacity <= 0 || capacity > c.contextLength()) {
            throw new IllegalArgumentException("KV cache capacity must be in 1.." + c.contextLength() + ", got " + capacity);
        }
        this.capacity = capacity;
        long perLayer = (long) capacity * c.kvDim();
        if (perLayer > Integer.MAX_VALUE) throw new IllegalArgumentException("KV cache too large: " + perLayer);
        keys = new float[c.layers()][(int) perLayer];
        values = new float[c.layers()][(int) perLayer];
    }

    /** Number of positions stored. */
    public int length() { return length; }

    public int capacity() { return capacity; }

    /** Bytes held. */
    public long byteSize() {
        return 2L * keys.length * keys[0].length * Float.BYTES;
    }

    /** Forgets positions from {@code newLength} on (to rewind a sequence). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) throw new IllegalArgumentException("cannot truncate to " + newLength);
        length = newLength;
    }
}
