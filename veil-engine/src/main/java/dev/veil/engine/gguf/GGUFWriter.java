package dev.veil.engine.gguf;

import dev.veil.engine.tensor.GGMLType;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file: metadata, then tensors streamed from {@link TensorSource}s one at a time, so a model
 * larger than the heap can be written. The file appears under its name only once complete.
 */
public final class GGUFWriter {
    /** Writes exactly a tensor's bytes. */
    @FunctionalInterface
    public interface TensorSource {
        void writeTo(OutputStream out) throws IOException;

        static TensorSource of(MemorySegment bytes) {
            return out -> {
                byte[] chunk = new byte[1 << 16];
                for (long off = 0; off < bytes.byteSize(); off += chunk.length) {
                    int n = (int) Math.min(chunk.length, bytes.byteSize() - off);
                    MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, off, chunk, 0, n);
                    out.write(chunk, 0, n);
                }
            };
        }
    }

    private record Value(GGUFValueType type, Object value) {}

    private record Tensor(GGUFTensorInfo info, TensorSource source) {}

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final java.util.Set<String> names = new java.util.HashSet<>();

    /** Adds a metadata value typed by its Java class (Integer as INT32, Long as INT64, float[] as FLOAT32 array...). */
    public GGUFWriter put(String key, Object value) {
        return put(key, GGUFValueType.of(value), value);
    }

    /**
     * Adds a metadata value of an explicit GGUF type; for an array, {@code type} is its elements' type. Integer
     * values must fit the type (unsigned types take non-negative values).
     */
    public GGUFWriter put(String key, GGUFValueType type, Object value) {
        if (value == null) throw new IllegalArgumentException("metadata '" + key + "' has no value");
        encode(new Bytes(), type, value, key); // fails now, naming the key, rather than at write time
        metadata.put(key, new Value(type, value));
        return this;
    }

    /** Copies every metadata value of {@code file} with its stored type. */
    public GGUFWriter putAll(GGUFFile file) {
        file.metadata().forEach((k, v) -> put(k, file.valueType(k), v));
        return this;
    }

    public int alignment() {
        return metadata.get(GGUFFile.ALIGNMENT_KEY) instanceof Value(var t, Number n) ? n.intValue() : GGUFFile.DEFAULT_ALIGNMENT;
    }

    /** Adds a tensor of {@code dims} (contiguous dimension first) whose bytes {@code source} writes later. */
    public GGUFWriter addTensor(String name, GGMLType type, long[] dims, TensorSource source) {
        if (!names.add(name)) throw new IllegalArgumentException("duplicate tensor '" + name + "'");
        var info = new GGUFTensorInfo(name, dims, type, 0);
        info.byteSize(); // checks whole blocks
        tensors.add(new Tensor(info, source));
        return this;
    }

    /** Writes the file; on failure nothing is left under {@code out}'s name. */
    public void write(Path out) throws IOException {
        int alignment = alignment();
        var header = new Bytes();
        header.i32(GGUFFile.MAGIC);
        header.i32(3);
        header.i64(tensors.size());
        header.i64(metadata.size());
        metadata.forEach((key, v) -> {
            header.string(key);
            if (v.value().getClass().isArray()) {
                header.i32(GGUFValueType.ARRAY.id);
            }
            encode(header, v.type(), v.value(), key);
        });
        long offset = 0;
        for (Tensor t : tensors) {
            GGUFTensorInfo i = t.info();
            header.string(i.name());
            header.i32(i.rank());
            for (long d : i.dims()) header.i64(d);
            header.i32(i.type().id);
            header.i64(offset);
            offset += align(i.byteSize(), alignment);
        }

        Path part = out.resolveSibling(out.getFileName() + ".part");
        try (var os = new Counting(new BufferedOutputStream(Files.newOutputStream(part), 1 << 20))) {
            os.write(header.toByteArray());
            os.pad(alignment);
            for (Tensor t : tensors) {
                long start = os.count;
                t.source().writeTo(os);
                long written = os.count - start, expected = t.info().byteSize();
                if (written != expected) {
                    throw new IOException("tensor '" + t.info().name() + "': source wrote " + written + " bytes, expected " + expected);
                }
                os.pad(alignment);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(part);
            throw e;
        }
        Files.move(part, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static long align(long n, int alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    /** Encodes a value (for an array: element type, count, elements) after its type id. */
    private static void encode(Bytes b, GGUFValueType type, Object value, String key) {
        if (value.getClass().isArray()) {
            int n = Array.getLength(value);
            b.i32(type.id);
            b.i64(n);
            for (int i = 0; i < n; i++) {
                Object item = Array.get(value, i);
                if (type == GGUFValueType.ARRAY) {
                    if (item == null || !item.getClass().isArray()) throw bad(key, "an array of arrays needs array items");
                    encode(b, GGUFValueType.of(item), item, key);
                } else {
                    scalar(b, type, item, key);
                }
            }
        } else {
            b.i32(type.id);
            scalar(b, type, value, key);
        }
    }

    private static void scalar(Bytes b, GGUFValueType type, Object v, String key) {
        switch (type) {
            case STRING -> {
                if (!(v instanceof String s)) throw bad(key, "STRING needs a String, got " + v);
                b.string(s);
            }
            case BOOL -> {
                if (!(v instanceof Boolean z)) throw bad(key, "BOOL needs a Boolean, got " + v);
                b.write(z ? 1 : 0);
            }
            case FLOAT32 -> b.i32(Float.floatToRawIntBits(number(key, v).floatValue()));
            case FLOAT64 -> b.i64(Double.doubleToRawLongBits(number(key, v).doubleValue()));
            case ARRAY -> throw bad(key, "ARRAY needs a Java array");
            default -> {
                if (!(v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte)) {
                    throw bad(key, type + " needs an integer, got " + v);
                }
                long x = ((Number) v).longValue();
                long[] range = switch (type) {
                    case UINT8 -> new long[] {0, 0xFF};
                    case INT8 -> new long[] {Byte.MIN_VALUE, Byte.MAX_VALUE};
                    case UINT16 -> new long[] {0, 0xFFFF};
                    case INT16 -> new long[] {Short.MIN_VALUE, Short.MAX_VALUE};
                    case UINT32 -> new long[] {0, 0xFFFF_FFFFL};
                    case INT32 -> new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
                    default -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE}; // INT64, UINT64 (bits as stored)
                };
                if (x < range[0] || x > range[1]) throw bad(key, x + " does not fit " + type);
                switch (type.size) {
                    case 1 -> b.write((int) x);
                    case 2 -> { b.write((int) x); b.write((int) (x >> 8)); }
                    case 4 -> b.i32((int) x);
                    default -> b.i64(x);
                }
            }
        }
    }

    private static Number number(String key, Object v) {
        if (v instanceof Number n) return n;
        throw bad(key, "a number is needed, got " + v);
    }

    private static IllegalArgumentException bad(String key, String message) {
        return new IllegalArgumentException("metadata '" + key + "': " + message);
    }

    /** Little-endian byte buffer for the header. */
    private static final class Bytes extends ByteArrayOutputStream {
        void i32(int v) {
            for (int i = 0; i < 4; i++) write(v >>> (8 * i));
        }

        void i64(long v) {
            for (int i = 0; i < 8; i++) write((int) (v >>> (8 * i)));
        }

        void string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            i64(utf8.length);
            writeBytes(utf8);
        }
    }

    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        void pad(int alignment) throws IOException {
            while (count % alignment != 0) write(0);
        }
    }
}
