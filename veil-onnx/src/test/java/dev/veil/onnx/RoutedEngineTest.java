package dev.veil.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelShape;
import dev.veil.engine.model.RandomModels;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.protocol.Frame;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.JavaLinearEngine;
import dev.veil.weights.WeightsServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The routed engine: a batch below its threshold is answered by the Java kernels, one at or above it by ONNX Runtime
 * (seen in its counters, not in timings), and either way a ring product is bit for bit the Java engine's; a
 * prefill reaches ONNX Runtime whole through the server's batcher; a Java engine on another model is refused.
 */
@Timeout(300)
class RoutedEngineTest {
    @Test
    void eachClassGoesToItsEngineAndRingsAnswerBitForBit(@TempDir Path dir) throws Exception {
        Model m = ModelLoader.load(Shared.storiesBin(), null);
        var c = m.config();
        var reference = new JavaLinearEngine(c, m.linear());
        try (var routed = RoutedEngine.open(new JavaLinearEngine(c, m.linear()), ModelDims.of(c), ort(m, dir),
                Map.of(Numeric.FLOAT, 8, Numeric.Z32, 8, Numeric.Z64, 8))) {
            assertEquals(OrtEngine.MIN_BATCH_ROWS, routed.minBatchRows());
            var rnd = new SplittableRandom(11);
            for (Projection p : Projection.values()) {
                var id = new MatrixId(p, p.perLayer() ? c.layers() - 1 : 0);
                for (int n : new int[] {1, 7, 8, 40}) {
                    boolean toOrt = n >= 8;
                    for (Ring ring : Ring.values()) {
                        long[] x = rnd.longs((long) n * p.inDim(c)).map(ring::wrap).toArray();
                        var in = new Rows.RingElements(ring, n, p.inDim(c), x);
                        long[] before = routed.routed();
                        var got = (Rows.RingElements) routed.multiply(id, in);
                        assertArrayEquals(((Rows.RingElements) reference.multiply(id, in)).data(), got.data(), id + " " + ring + " n=" + n);
                        routedTo(before, routed.routed(), toOrt, n);
                        assertArrayEquals(reference.rowScales(id, ring), routed.rowScales(id, ring));
                    }
                    float[] x = new float[n * p.inDim(c)];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    long[] before = routed.routed();
                    float[] got = ((Rows.Floats) routed.multiply(id, new Rows.Floats(n, p.inDim(c), x))).data();
                    float[] want = ((Rows.Floats) reference.multiply(id, new Rows.Floats(n, p.inDim(c), x))).data();
                    routedTo(before, routed.routed(), toOrt, n);
                    double err = 0, norm = 0;
                    for (int i = 0; i < want.length; i++) {
                        err += (want[i] - got[i]) * (double) (want[i] - got[i]);
                        norm += want[i] * (double) want[i];
                    }
                    assertTrue(Math.sqrt(err) <= EngineParityTest.FLOAT_TOLERANCE * Math.sqrt(norm), id + " float n=" + n);
                }
            }
        }
    }

    /** One batch of {@code n} rows more on the engine expected, none on the other. */
    private static void routedTo(long[] before, long[] after, boolean toOrt, int n) {
        int at = toOrt ? 2 : 0, other = toOrt ? 0 : 2;
        assertEquals(before[at] + 1, after[at], (toOrt ? "onnxruntime" : "java") + " should have run " + n + " rows");
        assertEquals(before[at + 1] + n, after[at + 1]);
        assertEquals(before[other], after[other], (toOrt ? "java" : "onnxruntime") + " should not have run " + n + " rows");
    }

    @Test
    void throughTheServerDecodeRunsOnJavaAndAPrefillReachesOnnxRuntimeWhole(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.gguf");
        RandomModels.write(ModelShape.named("tiny-llama"), GGMLType.Q8_0, 7, null, file);
        Model m = ModelLoader.load(file, null);
        var c = m.config();
        // FFN_DOWN is 256 × 512 here: Veil's batcher cuts a 128-row call into 16-row multiplies (LinearBatcher.BATCH_MACS)
        var id = new MatrixId(Projection.FFN_DOWN, 1);
        var decode = new Message.Linear(id, ring(Ring.Z32, 1, c.hiddenDim(), 1));
        var prefill = new Message.Linear(id, ring(Ring.Z32, 128, c.hiddenDim(), 2));
        var exact = new Message.Linear(id, ring(Ring.Z64, 128, c.hiddenDim(), 3)); // by default the Java kernels' at any size
        var routed = RoutedEngine.open(new JavaLinearEngine(c, m.linear()), ModelDims.of(c), ort(m, dir), RoutedEngine.DEFAULT_MIN_ROWS);
        try (var server = new WeightsServer("m", ModelDims.of(c), routed, null, Frame.DEFAULT_MAX_PAYLOAD);
             var java = new WeightsServer("m", c, m.linear(), null)) {
            var r = new InMemoryChannel(server, Duration.ofSeconds(60));
            var j = new InMemoryChannel(java, Duration.ofSeconds(60));
            r.call(new Message.Hello("m"), Message.Welcome.class);
            j.call(new Message.Hello("m"), Message.Welcome.class);
            for (var call : List.of(decode, prefill, exact)) {
                assertArrayEquals(((Rows.RingElements) j.call(call, Message.LinearReply.class).output()).data(),
                        ((Rows.RingElements) r.call(call, Message.LinearReply.class).output()).data());
            }
            assertArrayEquals(new long[] {2, 1 + 128, 1, 128}, routed.routed(),
                    "z32 decode and the exact call on java, the z32 prefill on onnxruntime in one batch");
            assertEquals(1 + 2 * 128 / 16, java.stats()[0], "Veil's own engine runs a prefill in 16-row batches");
            var metrics = new StringBuilder();
            server.prometheus(metrics);
            assertTrue(metrics.toString().contains("veil_engine_rows_total{engine=\"onnxruntime\"} 128"), metrics.toString());
        }
    }

    @Test
    void aZ32ExportInTheInt8GraphTakesEveryZ32CallByDefault(@TempDir Path dir) throws Exception {
        Model m = ModelLoader.load(Shared.storiesBin(), null);
        var c = m.config();
        List<Path> repos = new ArrayList<>();
        for (Numeric numeric : List.of(Numeric.Z32, Numeric.Z64)) {
            repos.add(dir.resolve(numeric.toString()));
            Exporter.export(c, m.linear(), "m", "m", numeric, Exporter.RingGraph.INT8, Exporter.Format.ONNX, Exporter.Device.CPU,
                    repos.getLast(), name -> {});
        }
        var ort = OrtEngine.open(repos, OrtEngine.Device.CPU, 1);
        try (var routed = RoutedEngine.open(new JavaLinearEngine(c, m.linear()), ModelDims.of(c), ort, RoutedEngine.defaults(ort))) {
            var id = new MatrixId(Projection.QKV, 0);
            routed.multiply(id, ring(Ring.Z32, 1, c.dim(), 4));
            routed.multiply(id, ring(Ring.Z64, 1, c.dim(), 5));
            assertArrayEquals(new long[] {1, 1, 1, 1}, routed.routed(), "z32 to onnxruntime, z64 to java");
        }
    }

    @Test
    void aJavaEngineOnAnotherModelIsRefused(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf");
        RandomModels.write(ModelShape.named("tiny-llama"), GGMLType.Q8_0, 7, null, a);
        RandomModels.write(ModelShape.named("tiny-llama"), GGMLType.Q8_0, 8, null, b); // the same shape, other weights
        Model exported = ModelLoader.load(a, null), other = ModelLoader.load(b, null);
        Model stories = ModelLoader.load(Shared.storiesBin(), null);
        try (var ort = ort(exported, dir.resolve("export"))) {
            for (Model wrong : List.of(other, stories)) {
                LlamaConfig c = wrong.config();
                var e = assertThrows(IllegalArgumentException.class, () -> RoutedEngine.open(new JavaLinearEngine(c, wrong.linear()),
                        ModelDims.of(c), ort, RoutedEngine.DEFAULT_MIN_ROWS));
                assertTrue(e.getMessage().startsWith("--model is not the model exported in --repository: "), e.getMessage());
            }
        }
    }

    /** ONNX Runtime on exports of {@code m} in every numeric mode. */
    private static OrtEngine ort(Model m, Path dir) throws Exception {
        List<Path> repos = new ArrayList<>();
        for (Numeric numeric : Numeric.values()) {
            Path out = dir.resolve(numeric.toString());
            Exporter.export(m.config(), m.linear(), "m", "m", numeric, Exporter.Format.ONNX, Exporter.Device.CPU, out, name -> {});
            repos.add(out);
        }
        return OrtEngine.open(repos, OrtEngine.Device.CPU, 1);
    }

    private static Rows.RingElements ring(Ring ring, int rows, int cols, long seed) {
        return new Rows.RingElements(ring, rows, cols, new SplittableRandom(seed).longs((long) rows * cols).map(ring::wrap).toArray());
    }
}
