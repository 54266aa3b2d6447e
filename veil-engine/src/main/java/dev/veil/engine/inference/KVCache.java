package dev.veil.engine.inference;

import dev.veil.engine.model.LlamaConfig;

/** Keys and values of every past position, per layer: the mutable state of one sequence. */
public final class KVCache {
    final float[][] keys;
    final float[][] values;
    final int capacity;
    int length;
    /** The forward pass's working arrays for this sequence (created on first use). */
    Activations activations;

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

    /** A copy with room for {@code newCapacity} positions (a cache that grows with its sequence). */
    public KVCache resized(LlamaConfig c, int newCapacity) {
        if (newCapacity < length) throw new IllegalArgumentException("cannot shrink a cache of " + length + " positions to " + newCapacity);
        var bigger = new KVCache(c, newCapacity);
        int used = length * c.kvDim();
        for (int l = 0; l < keys.length; l++) {
            System.arraycopy(keys[l], 0, bigger.keys[l], 0, used);
            System.arraycopy(values[l], 0, bigger.values[l], 0, used);
        }
        bigger.length = length;
        return bigger;
    }

    /** Forgets positions from {@code newLength} on (to rewind a sequence). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) throw new IllegalArgumentException("cannot truncate to " + newLength);
        length = newLength;
    }
}
