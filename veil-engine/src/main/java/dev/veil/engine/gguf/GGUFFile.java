package dev.veil.engine.gguf;

import dev.veil.engine.ModelFormatException;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tensor.FloatTensors;
import dev.veil.engine.tensor.GGMLType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF (v2 or v3) file, memory-mapped: metadata is parsed once, tensor data stays in the mapping and is
 * never copied. Layout: magic "GGUF", version, tensor count, metadata count, the metadata key-value pairs,
 * the tensor infos, then (aligned to {@code general.alignment}, default 32) the tensor data.
 * See {@link GGUFValueType} for how metadata values map to Java values.
 */
public final class GGUFFile {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";

    private final Path path;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GGUFValueType> types;
    private final Map<String, GGUFTensorInfo> tensors;
    private final int alignment;
    private final long dataOffset;

    private GGUFFile(Path path, MemorySegment file, Parser p) {
        this.path = path;
        this.file = file;
        this.version = p.version;
        this.metadata = Collections.unmodifiableMap(p.metadata);
        this.types = Collections.unmodifiableMap(p.types);
        this.tensors = Collections.unmodifiableMap(p.tensors);
        this.alignment = p.alignment;
        this.dataOffset = p.dataOffset;
    }

    /** Maps and parses {@code path}; throws {@link ModelFormatException} for a file that is not valid GGUF. */
    public static GGUFFile open(Path path) throws IOException {
        MemorySegment file;
        try (var ch = FileChannel.open(path, StandardOpenOption.READ)) {
            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
        }
        var p = new Parser(path, file);
        p.parse();
        return new GGUFFile(path, file, p);
    }

    public Path path() { return path; }
    public int version() { return version; }
    public int alignment() { return alignment; }
    /** File offset of the tensor data section. */
    public long dataOffset() { return dataOffset; }
    public long fileSize() { return file.byteSize(); }

    /** All metadata, in file order. */
    public Map<String, Object> metadata() { return metadata; }

    /** The stored GGUF type of a metadata value; for an array, the type of its elements. */
    public GGUFValueType valueType(String key) { return types.get(key); }

    /** Tensor infos by name, in file order. */
    public Map<String, GGUFTensorInfo> tensorInfos() { return tensors; }

    public List<GGUFTensorInfo> tensorList() { return List.copyOf(tensors.values()); }

    public boolean hasTensor(String name) { return tensors.containsKey(name); }

    public GGUFTensorInfo tensorInfo(String name) {
        GGUFTensorInfo t = tensors.get(name);
        if (t == null) throw new ModelFormatException(path + ": missing tensor '" + name + "'");
        return t;
    }

    /** The bytes of a tensor, a view of the mapping. */
    public MemorySegment data(GGUFTensorInfo t) {
        return file.asSlice(dataOffset + t.offset(), t.byteSize());
    }

    /** The tensor {@code name} over its mapped bytes; fails naming the tensor when its type is not supported. */
    public FloatTensor tensor(String name) {
        GGUFTensorInfo t = tensorInfo(name);
        try {
            return FloatTensors.create(t.type(), t.elements(), data(t));
        } catch (ModelFormatException | IllegalArgumentException e) {
            throw new ModelFormatException(path + ": tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    /** A metadata value that must be present, as a String. */
    public String getString(String key) {
        return require(key) instanceof String s ? s : fail(key, "a string");
    }

    /** A metadata integer that must be present and fit an int. */
    public int getInt(String key) {
        if (require(key) instanceof Number n && types.get(key).isInteger()) {
            long v = n.longValue();
            if (v == (int) v) return (int) v;
        }
        return fail(key, "an integer of 32 bits");
    }

    public int getInt(String key, int fallback) {
        return metadata.containsKey(key) ? getInt(key) : fallback;
    }

    /** A metadata number that must be present, as a float. */
    public float getFloat(String key) {
        return require(key) instanceof Number n ? n.floatValue() : fail(key, "a number");
    }

    public float getFloat(String key, float fallback) {
        return metadata.containsKey(key) ? getFloat(key) : fallback;
    }

    private Object require(String key) {
        Object v = metadata.get(key);
        if (v == null) throw new ModelFormatException(path + ": missing metadata '" + key + "'");
        return v;
    }

    private <T> T fail(String key, String what) {
        throw new ModelFormatException(path + ": metadata '" + key + "' should be " + what + ", found "
                + types.get(key) + " " + GGUFFile.format(metadata.get(key), 5));
    }

    /** A metadata value as text, arrays shortened to their first {@code maxItems} items. */
    public static String format(Object v, int maxItems) {
        if (v == null || !v.getClass().isArray()) return v instanceof String s ? '"' + s + '"' : String.valueOf(v);
        int n = java.lang.reflect.Array.getLength(v);
        var sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(n, maxItems); i++) {
            if (i > 0) sb.append(", ");
            sb.append(format(java.lang.reflect.Array.get(v, i), maxItems));
        }
        if (n > maxItems) sb.append(", ... (").append(n).append(" items)");
        return sb.append(']').toString();
    }

    /** Reads the header, metadata and tensor infos, checking every length against the file's size. */
    private static final class Parser {
        private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        final Path path;
        final MemorySegment file;
        long pos;
        int version;
        final Map<String, Object> metadata = new LinkedHashMap<>();
        final Map<String, GGUFValueType> types = new LinkedHashMap<>();
        final Map<String, GGUFTensorInfo> tensors = new LinkedHashMap<>();
        int alignment = DEFAULT_ALIGNMENT;
        long dataOffset;

        Parser(Path path, MemorySegment file) {
            this.path = path;
            this.file = file;
        }

        void parse() {
            if (file.byteSize() < 4 || file.get(INT, 0) != MAGIC) throw error("not a GGUF file (bad magic)");
            pos = 4;
            version = i32();
            if (version != 2 && version != 3) {
                String why = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3 ? " (big-endian)" : "";
                throw error("GGUF version " + version + why + " is not supported (supported: 2, 3)");
            }
            long tensorCount = count("tensor count", 8), kvCount = count("metadata count", 8 + 4 + 1);
            for (long i = 0; i < kvCount; i++) {
                String key = string();
                GGUFValueType type = valueType();
                if (metadata.containsKey(key)) throw error("duplicate metadata key '" + key + "'");
                if (type == GGUFValueType.ARRAY) {
                    GGUFValueType elementType = valueType();
                    types.put(key, elementType);
                    metadata.put(key, array(elementType, key));
                } else {
                    types.put(key, type);
                    metadata.put(key, value(type));
                }
            }
            if (metadata.get(ALIGNMENT_KEY) instanceof Number n) {
                long a = n.longValue();
                if (a <= 0 || a > (1 << 30) || Long.bitCount(a) != 1) throw error(ALIGNMENT_KEY + " must be a power of two, got " + a);
                alignment = (int) a;
            }
            for (long i = 0; i < tensorCount; i++) {
                String name = string();
                int rank = i32();
                if (rank < 1 || rank > 4) throw error("tensor '" + name + "' has " + rank + " dimensions (1 to 4 allowed)");
                long[] dims = new long[rank];
                for (int d = 0; d < rank; d++) {
                    dims[d] = i64();
                    if (dims[d] <= 0) throw error("tensor '" + name + "' has dimension " + Long.toUnsignedString(dims[d]));
                }
                int typeId = i32();
                GGMLType type;
                try {
                    type = GGMLType.fromId(typeId);
                } catch (IllegalArgumentException e) {
                    throw error("tensor '" + name + "' has unknown tensor type id " + typeId);
                }
                long offset = i64();
                GGUFTensorInfo t;
                try {
                    t = new GGUFTensorInfo(name, dims, type, offset);
                    t.byteSize();
                } catch (ArithmeticException | IllegalArgumentException e) {
                    throw error("tensor '" + name + "' " + java.util.Arrays.toString(dims) + ": " + e.getMessage());
                }
                if (offset < 0 || offset % alignment != 0) throw error("tensor '" + name + "' has misaligned offset " + offset);
                if (tensors.put(name, t) != null) throw error("duplicate tensor '" + name + "'");
            }
            dataOffset = (pos + alignment - 1) / alignment * alignment;
            for (GGUFTensorInfo t : tensors.values()) {
                long end = dataOffset + t.offset() + t.byteSize();
                if (end < 0 || end > file.byteSize()) {
                    throw error("truncated: tensor '" + t.name() + "' ends at byte " + end + " but the file has " + file.byteSize());
                }
            }
        }

        private Object value(GGUFValueType t) {
            return switch (t) {
                case UINT8 -> Byte.toUnsignedInt(i8());
                case INT8 -> (int) i8();
                case UINT16 -> Short.toUnsignedInt(i16());
                case INT16 -> (int) i16();
                case INT32 -> i32();
                case UINT32 -> Integer.toUnsignedLong(i32());
                case INT64, UINT64 -> i64();
                case FLOAT32 -> f32();
                case FLOAT64 -> f64();
                case BOOL -> i8() != 0;
                case STRING -> string();
                case ARRAY -> array(valueType(), "nested array");
            };
        }

        private Object array(GGUFValueType t, String key) {
            long n = count("array '" + key + "'", Math.max(t.size, t == GGUFValueType.STRING ? 8 : 4));
            int len = (int) n;
            switch (t) {
                case FLOAT32 -> { float[] a = new float[len]; for (int i = 0; i < len; i++) a[i] = f32(); return a; }
                case FLOAT64 -> { double[] a = new double[len]; for (int i = 0; i < len; i++) a[i] = f64(); return a; }
                case BOOL -> { boolean[] a = new boolean[len]; for (int i = 0; i < len; i++) a[i] = i8() != 0; return a; }
                case STRING -> { String[] a = new String[len]; for (int i = 0; i < len; i++) a[i] = string(); return a; }
                case ARRAY -> { Object[] a = new Object[len]; for (int i = 0; i < len; i++) a[i] = array(valueType(), key); return a; }
                default -> {
                    if (t.readsAsInt()) {
                        int[] a = new int[len];
                        for (int i = 0; i < len; i++) a[i] = (Integer) value(t);
                        return a;
                    }
                    long[] a = new long[len];
                    for (int i = 0; i < len; i++) a[i] = (Long) value(t);
                    return a;
                }
            }
        }

        private GGUFValueType valueType() {
            int id = i32();
            GGUFValueType t = GGUFValueType.fromId(id);
            if (t == null) throw error("unknown metadata value type " + id + " at byte " + (pos - 4));
            return t;
        }

        /** A uint64 count of items, each at least {@code minBytes} long, that must fit in the rest of the file. */
        private long count(String what, int minBytes) {
            long n = i64();
            if (n < 0 || n > Integer.MAX_VALUE || n * minBytes > file.byteSize() - pos) {
                throw error("truncated or corrupt: " + what + " of " + Long.toUnsignedString(n) + " at byte " + (pos - 8));
            }
            return n;
        }

        private String string() {
            long n = i64();
            if (n < 0 || n > file.byteSize() - pos) throw error("truncated: string of " + Long.toUnsignedString(n) + " bytes at byte " + (pos - 8));
            byte[] b = file.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            pos += n;
            return new String(b, StandardCharsets.UTF_8);
        }

        private void need(int bytes) {
            if (pos + bytes > file.byteSize()) throw error("truncated: file ends at byte " + file.byteSize() + " inside the header");
        }

        private byte i8() { need(1); return file.get(ValueLayout.JAVA_BYTE, pos++); }
        private short i16() { need(2); short v = file.get(SHORT, pos); pos += 2; return v; }
        private int i32() { need(4); int v = file.get(INT, pos); pos += 4; return v; }
        private long i64() { need(8); long v = file.get(LONG, pos); pos += 8; return v; }
        private float f32() { need(4); float v = file.get(FLOAT, pos); pos += 4; return v; }
        private double f64() { need(8); double v = file.get(DOUBLE, pos); pos += 8; return v; }

        private ModelFormatException error(String message) {
            return new ModelFormatException(path + ": " + message);
        }
    }
}
