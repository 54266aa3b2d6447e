package dev.veil.engine.gguf;

/**
 * Metadata value types of the GGUF format, with their ids. The reader maps them to Java values: 8-, 16- and
 * 32-bit signed integers and 8- and 16-bit unsigned ones to Integer, UINT32 and the 64-bit integers to Long
 * (UINT64 keeps its bits), FLOAT32 to Float, FLOAT64 to Double, BOOL to Boolean, STRING to String, and an array
 * to the Java array of its element's mapping (int[], long[], float[], double[], boolean[], String[], or
 * Object[] for arrays of arrays).
 */
public enum GGUFValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    STRING(8, 0), ARRAY(9, 0), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    public final int id;
    /** Bytes of one value; 0 for variable-size values. */
    final int size;

    GGUFValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    static GGUFValueType fromId(int id) {
        for (GGUFValueType t : values()) if (t.id == id) return t;
        return null;
    }

    /** Whether values of this type are read as Integer (else Long, for the wider integers). */
    boolean readsAsInt() {
        return this == UINT8 || this == INT8 || this == UINT16 || this == INT16 || this == INT32;
    }

    boolean isInteger() {
        return readsAsInt() || this == UINT32 || this == INT64 || this == UINT64;
    }

    /** The GGUF type a Java value is written as when no type is given. */
    static GGUFValueType of(Object value) {
        return switch (value) {
            case String s -> STRING;
            case Integer i -> INT32;
            case Long l -> INT64;
            case Float f -> FLOAT32;
            case Double d -> FLOAT64;
            case Boolean b -> BOOL;
            case Short s -> INT16;
            case Byte b -> INT8;
            case String[] a -> STRING;
            case int[] a -> INT32;
            case long[] a -> INT64;
            case float[] a -> FLOAT32;
            case double[] a -> FLOAT64;
            case boolean[] a -> BOOL;
            case Object[] a -> ARRAY;
            default -> throw new IllegalArgumentException("no GGUF type for " + value.getClass().getSimpleName());
        };
    }
}
