package dev.veil.engine.inference;

import dev.veil.engine.model.LlamaConfig;
import java.util.Locale;

/**
 * Keys and values of every past position, per layer: the mutable state of one sequence. Stored as F32, or as F16
 * (IEEE half, {@link Float#floatToFloat16}: half the memory; attention widens each row back to float before its
 * dot product and axpy, so only the stored values' rounding differs from F32).
 */
public final class KVCache {
    /** How keys and values are stored. */
    public enum Type {
        F32(Float.BYTES), F16(Short.BYTES);

        final int bytes;

        Type(int bytes) { this.bytes = bytes; }

        /** "f16" or "f32", as the CLI spells it. */
        public static Type parse(String name) {
            for (Type t : values()) if (t.name().equalsIgnoreCase(name)) return t;
            throw new IllegalArgumentException("unknown KV cache type '" + name + "' (f16 or f32)");
        }

        @Override public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    /** The type of caches made without one (the CLI's {@code --kv-type}; one setting per process, as the thread pool). */
    private static volatile Type defaultType = Type.F32;

    final Type type;
    final float[][] keys, values;       // F32, else null
    final short[][] keys16, values16;   // F16, else null
    final int capacity;
    int length;
    /** The forward pass's working arrays for this sequence (created on first use). */
    Activations activations;

    public KVCache(LlamaConfig c, int capacity) {
        this(c, capacity, defaultType);
    }

    public KVCache(LlamaConfig c, int capacity, Type type) {
        if (capacity <= 0 || capacity > c.contextLength()) {
            throw new IllegalArgumentException("KV cache capacity must be in 1.." + c.contextLength() + ", got " + capacity);
        }
        this.capacity = capacity;
        this.type = type;
        long perLayer = (long) capacity * c.kvDim();
        if (perLayer > Integer.MAX_VALUE) throw new IllegalArgumentException("KV cache too large: " + perLayer);
        boolean half = type == Type.F16;
        keys = half ? null : new float[c.layers()][(int) perLayer];
        values = half ? null : new float[c.layers()][(int) perLayer];
        keys16 = half ? new short[c.layers()][(int) perLayer] : null;
        values16 = half ? new short[c.layers()][(int) perLayer] : null;
    }

    /** Sets the type of caches made without one from now on. */
    public static void setDefaultType(Type type) {
        defaultType = java.util.Objects.requireNonNull(type);
    }

    public static Type defaultType() { return defaultType; }

    public Type type() { return type; }

    /** Number of positions stored. */
    public int length() { return length; }

    public int capacity() { return capacity; }

    /** Bytes held. */
    public long byteSize() {
        int layers = keys != null ? keys.length : keys16.length;
        int perLayer = keys != null ? keys[0].length : keys16[0].length;
        return 2L * layers * perLayer * type.bytes;
    }

    /** A copy with room for {@code newCapacity} positions (a cache that grows with its sequence). */
    public KVCache resized(LlamaConfig c, int newCapacity) {
        if (newCapacity < length) throw new IllegalArgumentException("cannot shrink a cache of " + length + " positions to " + newCapacity);
        var bigger = new KVCache(c, newCapacity, type);
        int used = length * c.kvDim();
        for (int l = 0; l < c.layers(); l++) {
            if (type == Type.F16) {
                System.arraycopy(keys16[l], 0, bigger.keys16[l], 0, used);
                System.arraycopy(values16[l], 0, bigger.values16[l], 0, used);
            } else {
                System.arraycopy(keys[l], 0, bigger.keys[l], 0, used);
                System.arraycopy(values[l], 0, bigger.values[l], 0, used);
            }
        }
        bigger.length = length;
        return bigger;
    }

    /** Forgets positions from {@code newLength} on (to rewind a sequence). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) throw new IllegalArgumentException("cannot truncate to " + newLength);
        length = newLength;
    }

    /** Stores {@code count} floats of {@code src} at {@code pos} of a layer's keys (or values). */
    void store(int layer, boolean key, float[] src, int srcOff, int pos, int count) {
        if (type == Type.F32) {
            System.arraycopy(src, srcOff, (key ? keys : values)[layer], pos, count);
        } else {
            short[] dst = (key ? keys16 : values16)[layer];
            for (int i = 0; i < count; i++) dst[pos + i] = Float.floatToFloat16(src[srcOff + i]);
        }
    }

    /** Widens {@code count} halves at {@code pos} of an F16 layer's keys (or values) into {@code dst}. */
    void widen(int layer, boolean key, int pos, float[] dst, int count) {
        short[] src = (key ? keys16 : values16)[layer];
        for (int i = 0; i < count; i++) dst[i] = Float.float16ToFloat(src[pos + i]);
    }
}
