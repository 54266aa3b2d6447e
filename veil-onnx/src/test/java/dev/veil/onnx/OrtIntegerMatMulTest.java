package dev.veil.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the ring modes rest on: ONNX Runtime's CPU MatMul on int64 and int32 wraps modulo 2^64 and 2^32, on full-range
 * random inputs and weights (products and sums that overflow all the time). Pinned to the version in the root pom:
 * a newer ONNX Runtime that saturated, or computed in floating point, fails here.
 */
class OrtIntegerMatMulTest {
    @Test
    void int64MatMulWrapsModulo2To64(@TempDir Path dir) throws Exception {
        int n = 9, cols = 67, rows = 45;
        var rnd = new SplittableRandom(1);
        long[] x = rnd.longs((long) n * cols).toArray(), w = rnd.longs((long) cols * rows).toArray(); // w is [cols, rows]
        var raw = ByteBuffer.allocate(8 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(w);
        Path file = dir.resolve("m.onnx");
        OnnxWriter.matmul(file, "full_range", OnnxWriter.INT64, OnnxWriter.INT64, cols, rows, raw.capacity(), o -> o.write(raw.array()),
                null);
        long[] expected = new long[n * rows];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < rows; j++) {
                long s = 0;
                for (int i = 0; i < cols; i++) s += x[r * cols + i] * w[i * rows + j]; // Java's long arithmetic wraps modulo 2^64
                expected[r * rows + j] = s;
            }
        }
        assertArrayEquals(expected, run(file, x, n, cols, rows));
    }

    /** The model in {@code file} on int64 rows {@code x} [n, cols]: its output [n, rows]. */
    static long[] run(Path file, long[] x, int n, int cols, int rows) throws Exception {
        var env = OrtEnvironment.getEnvironment();
        try (var session = env.createSession(file.toString(), new OrtSession.SessionOptions());
             var in = OnnxTensor.createTensor(env, LongBuffer.wrap(x), new long[] {n, cols});
             var out = session.run(Map.of(OnnxWriter.X, in))) {
            long[] got = new long[n * rows];
            ((OnnxTensor) out.get(0)).getLongBuffer().get(got);
            return got;
        }
    }

    /** The model in {@code file} on int32 rows {@code x} [n, cols]: its output [n, rows]. */
    static int[] run(Path file, int[] x, int n, int cols, int rows) throws Exception {
        var env = OrtEnvironment.getEnvironment();
        try (var session = env.createSession(file.toString(), new OrtSession.SessionOptions());
             var in = OnnxTensor.createTensor(env, IntBuffer.wrap(x), new long[] {n, cols});
             var out = session.run(Map.of(OnnxWriter.X, in))) {
            int[] got = new int[n * rows];
            ((OnnxTensor) out.get(0)).getIntBuffer().get(got);
            return got;
        }
    }

    @Test
    void int32MatMulWrapsModulo2To32(@TempDir Path dir) throws Exception {
        int n = 9, cols = 67, rows = 45;
        var rnd = new SplittableRandom(2);
        int[] x = rnd.ints((long) n * cols).toArray(), w = rnd.ints((long) cols * rows).toArray();
        var raw = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asIntBuffer().put(w);
        Path file = dir.resolve("m.onnx");
        OnnxWriter.matmul(file, "full_range", OnnxWriter.INT32, OnnxWriter.INT32, cols, rows, raw.capacity(), o -> o.write(raw.array()),
                null);
        int[] expected = new int[n * rows];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < rows; j++) {
                int s = 0;
                for (int i = 0; i < cols; i++) s += x[r * cols + i] * w[i * rows + j];
                expected[r * rows + j] = s;
            }
        }
        assertArrayEquals(expected, run(file, x, n, cols, rows));
        assertEquals("1.23.2", OrtEnvironment.getEnvironment().getVersion(),
                "the version these facts were checked on (root pom: onnxruntime.version)");
    }
}
