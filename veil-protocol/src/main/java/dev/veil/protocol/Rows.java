package dev.veil.protocol;

import dev.veil.engine.ring.Ring;

/** A row-major block of rows × cols values as it travels: float32, or ring elements of Z_2^32 / Z_2^64. */
public sealed interface Rows permits Rows.Floats, Rows.RingElements {
    int rows();

    int cols();

    /** Bytes of the values on the wire. */
    default long dataBytes() {
        return (long) rows() * cols() * (this instanceof RingElements r ? r.ring().bytes() : Float.BYTES);
    }

    /** Bytes the values take in memory (ring elements are held as longs whatever the ring). */
    default long heldBytes() {
        return switch (this) {
            case Floats f -> 4L * f.data().length;
            case RingElements e -> 8L * e.data().length;
        };
    }

    record Floats(int rows, int cols, float[] data) implements Rows {
        public Floats {
            check(rows, cols, data.length);
        }
    }

    /** Values are canonical signed representatives ({@link Ring#wrap}). */
    record RingElements(Ring ring, int rows, int cols, long[] data) implements Rows {
        public RingElements {
            check(rows, cols, data.length);
        }
    }

    private static void check(int rows, int cols, int length) {
        if (rows < 0 || cols < 0 || (long) rows * cols > length) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " block needs more than " + length + " values");
        }
    }
}
