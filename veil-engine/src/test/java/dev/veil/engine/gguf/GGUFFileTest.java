package dev.veil.engine.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.engine.ModelFormatException;
import dev.veil.engine.tensor.GGMLType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GGUFFileTest {
    @TempDir Path dir;

    /** A file with one value of every metadata type and two tensors. */
    private Path sample(int alignment) throws IOException {
        var w = new GGUFWriter();
        w.put("u8", GGUFValueType.UINT8, 200);
        w.put("i8", GGUFValueType.INT8, -100);
        w.put("u16", GGUFValueType.UINT16, 60000);
        w.put("i16", GGUFValueType.INT16, -30000);
        w.put("u32", GGUFValueType.UINT32, 4_000_000_000L);
        w.put("i32", -7);
        w.put("u64", GGUFValueType.UINT64, -1L);
        w.put("i64", 1L << 40);
        w.put("f32", 1.5f);
        w.put("f64", Math.PI);
        w.put("bool", true);
        w.put("string", "héllo ▁ 😀");
        w.put("strings", new String[] {"a", "", "ü"});
        w.put("floats", new float[] {1f, -2.5f});
        w.put("ints", new int[] {3, -4});
        w.put("u32s", GGUFValueType.UINT32, new long[] {0, 4_294_967_295L});
        w.put("u8s", GGUFValueType.UINT8, new int[] {0, 255});
        w.put("doubles", new double[] {0.25});
        w.put("bools", new boolean[] {true, false});
        w.put("nested", new Object[] {new int[] {1, 2}, new String[] {"x"}});
        if (alignment != GGUFFile.DEFAULT_ALIGNMENT) w.put(GGUFFile.ALIGNMENT_KEY, GGUFValueType.UINT32, alignment);
        w.addTensor("vector", GGMLType.F32, new long[] {3}, TensorSources.vector(GGMLType.F32, new float[] {1, 2, 3}));
        w.addTensor("matrix", GGMLType.F32, new long[] {4, 2}, TensorSources.rows(GGMLType.F32, 2, 4, (r, dst) -> {
            for (int i = 0; i < 4; i++) dst[i] = 10 * r + i;
        }));
        Path p = dir.resolve("sample-" + alignment + ".gguf");
        w.write(p);
        return p;
    }

    @Test
    void roundTripsEveryValueType() throws IOException {
        var f = GGUFFile.open(sample(32));
        var m = f.metadata();
        assertEquals(3, f.version());
        assertEquals(200, m.get("u8"));
        assertEquals(-100, m.get("i8"));
        assertEquals(60000, m.get("u16"));
        assertEquals(-30000, m.get("i16"));
        assertEquals(4_000_000_000L, m.get("u32"));
        assertEquals(-7, m.get("i32"));
        assertEquals(-1L, m.get("u64"));
        assertEquals(1L << 40, m.get("i64"));
        assertEquals(1.5f, m.get("f32"));
        assertEquals(Math.PI, m.get("f64"));
        assertEquals(true, m.get("bool"));
        assertEquals("héllo ▁ 😀", m.get("string"));
        assertArrayEquals(new String[] {"a", "", "ü"}, (String[]) m.get("strings"));
        assertArrayEquals(new float[] {1f, -2.5f}, (float[]) m.get("floats"));
        assertArrayEquals(new int[] {3, -4}, (int[]) m.get("ints"));
        assertArrayEquals(new long[] {0, 4_294_967_295L}, (long[]) m.get("u32s"));
        assertArrayEquals(new int[] {0, 255}, (int[]) m.get("u8s"));
        assertArrayEquals(new double[] {0.25}, (double[]) m.get("doubles"));
        assertArrayEquals(new boolean[] {true, false}, (boolean[]) m.get("bools"));
        Object[] nested = (Object[]) m.get("nested");
        assertArrayEquals(new int[] {1, 2}, (int[]) nested[0]);
        assertArrayEquals(new String[] {"x"}, (String[]) nested[1]);
        assertEquals(GGUFValueType.UINT32, f.valueType("u32s"));
        assertEquals(GGUFValueType.UINT8, f.valueType("u8"));
        assertEquals(-7, f.getInt("i32"));
        assertThrows(ModelFormatException.class, () -> f.getInt("u32")); // does not fit an int
        assertThrows(ModelFormatException.class, () -> f.getString("i32"));
        assertEquals(1.5f, f.getFloat("f32"));

        // Copying the metadata keeps every stored type.
        var copy = new GGUFWriter().putAll(f);
        Path p2 = dir.resolve("copy.gguf");
        copy.write(p2);
        var g = GGUFFile.open(p2);
        for (String k : m.keySet()) {
            assertEquals(f.valueType(k), g.valueType(k), k);
            assertEquals(GGUFFile.format(m.get(k), 10), GGUFFile.format(g.metadata().get(k), 10), k);
        }
    }

    @Test
    void tensorsAreMappedNotCopiedAndAligned() throws IOException {
        for (int alignment : new int[] {32, 64}) {
            var f = GGUFFile.open(sample(alignment));
            assertEquals(alignment, f.alignment());
            assertEquals(0, f.dataOffset() % alignment);
            assertEquals(Arrays.asList("vector", "matrix"), f.tensorInfos().keySet().stream().toList());
            var matrix = f.tensorInfo("matrix");
            assertEquals(0, matrix.offset() % alignment);
            assertArrayEquals(new long[] {4, 2}, matrix.dims());
            var t = f.tensor("matrix");
            assertTrue(t.segment().isMapped(), "tensor data must stay in the file mapping");
            assertEquals(13f, t.getFloat(7));
            assertArrayEquals(new float[] {1, 2, 3}, f.tensor("vector").toFloatArray());
        }
    }

    @Test
    void rejectsBadMagic() throws IOException {
        Path p = dir.resolve("bad.gguf");
        Files.write(p, "GGML and more bytes here".getBytes());
        assertMessage(p, "bad magic");
        Files.write(p, new byte[0]);
        assertMessage(p, "bad magic");
    }

    @Test
    void rejectsUnsupportedVersions() throws IOException {
        byte[] b = Files.readAllBytes(sample(32));
        Path p = dir.resolve("v.gguf");
        for (int v : new int[] {1, 4}) {
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(4, v);
            Files.write(p, b);
            assertMessage(p, "GGUF version " + v + " is not supported");
        }
        ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN).putInt(4, 3);
        Files.write(p, b);
        assertMessage(p, "big-endian");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 2);
        Files.write(p, b);
        assertDoesNotThrow(() -> GGUFFile.open(p)); // v2 has the same layout
    }

    @Test
    void rejectsEveryTruncation() throws IOException {
        byte[] b = Files.readAllBytes(sample(32));
        Path p = dir.resolve("cut.gguf");
        // Cut inside the header, metadata, tensor infos and tensor data: always a clear error, never a crash.
        for (int len = 0; len < b.length; len += (len < 600 ? 1 : 7)) {
            Files.write(p, Arrays.copyOf(b, len));
            var e = assertThrows(ModelFormatException.class, () -> GGUFFile.open(p), "cut at " + len);
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("bad magic"), len + ": " + e.getMessage());
        }
    }

    @Test
    void namesUnknownTensorTypes() throws IOException {
        var w = new GGUFWriter();
        w.addTensor("blk.0.attn_q.weight", GGMLType.F32, new long[] {4}, TensorSources.vector(GGMLType.F32, new float[4]));
        Path p = dir.resolve("type.gguf");
        w.write(p);
        byte[] b = Files.readAllBytes(p);
        int at = indexOf(b, "blk.0.attn_q.weight".getBytes()) + "blk.0.attn_q.weight".length() + 4 + 8;
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, 99);
        Files.write(p, b);
        assertMessage(p, "tensor 'blk.0.attn_q.weight' has unknown tensor type id 99");
        // A known type Veil cannot compute with fails when the tensor is used, naming it and the type.
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, GGMLType.I32.id);
        Files.write(p, b);
        var f = GGUFFile.open(p);
        var e = assertThrows(ModelFormatException.class, () -> f.tensor("blk.0.attn_q.weight"));
        assertTrue(e.getMessage().contains("blk.0.attn_q.weight") && e.getMessage().contains("I32"), e.getMessage());
    }

    @Test
    void writerRejectsValuesThatDoNotFit() {
        var w = new GGUFWriter();
        assertThrows(IllegalArgumentException.class, () -> w.put("x", GGUFValueType.UINT8, 256));
        assertThrows(IllegalArgumentException.class, () -> w.put("x", GGUFValueType.UINT32, -1));
        assertThrows(IllegalArgumentException.class, () -> w.put("x", GGUFValueType.STRING, 3));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("q", GGMLType.Q8_0, new long[] {33}, out -> {}));
    }

    @Test
    void writerLeavesNothingWhenASourceFails(@TempDir Path d) {
        var w = new GGUFWriter();
        w.addTensor("short", GGMLType.F32, new long[] {4}, out -> out.write(new byte[3]));
        Path p = d.resolve("x.gguf");
        assertThrows(IOException.class, () -> w.write(p));
        assertFalse(Files.exists(p));
        assertFalse(Files.exists(d.resolve("x.gguf.part")));
    }

    private static void assertMessage(Path p, String expected) {
        var e = assertThrows(ModelFormatException.class, () -> GGUFFile.open(p));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
