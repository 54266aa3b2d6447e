package dev.veil.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelShape;
import dev.veil.engine.model.RandomModels;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.weights.JavaLinearEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ONNX Runtime on an export against Veil's own engine, matrix by matrix: ring products (Z_2^64 and Z_2^32, on
 * full-range random ring elements, as masked inputs are) bit for bit, with the same row scales; float products within
 * the float16 weights' tolerance. On the real stories260K, and on small random models of every tensor type.
 */
class EngineParityTest {
    /** Relative L2 error a float product may have: float16 weights (11 significant bits) against the model's own. */
    static final double FLOAT_TOLERANCE = 2e-3;

    @Test
    void stories260K(@TempDir Path dir) throws Exception {
        check(ModelLoader.load(Shared.storiesBin(), null), dir);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void randomModelOfEveryTensorType(GGMLType type, @TempDir Path dir) throws Exception {
        assertTrue(GGMLType.SUPPORTED.contains(type));
        Path file = dir.resolve("m.gguf");
        RandomModels.write(ModelShape.named("tiny-llama"), type, 7, null, file);
        check(ModelLoader.load(file, null), dir);
    }

    @Test
    void everySupportedTypeIsCovered() {
        assertEquals(GGMLType.SUPPORTED.size(), 7, "a new tensor type: add it to randomModelOfEveryTensorType");
    }

    private static void check(Model m, Path dir) throws Exception {
        var c = m.config();
        Path floats = dir.resolve("float");
        Exporter.export(c, m.linear(), "m", "m", Numeric.FLOAT, Exporter.Format.TRITON, Exporter.Device.CPU, floats, name -> {});
        var java = new JavaLinearEngine(c, m.linear());
        for (Exporter.RingGraph graph : Exporter.RingGraph.values()) {
            List<Path> repos = new ArrayList<>(List.of(floats));
            for (Numeric numeric : List.of(Numeric.Z64, Numeric.Z32)) {
                Path out = dir.resolve(numeric + "-" + graph);
                Exporter.export(c, m.linear(), "m", "m", numeric, graph, Exporter.Format.TRITON, Exporter.Device.CPU, out, name -> {});
                repos.add(out);
            }
            try (var ort = OrtEngine.open(repos, OrtEngine.Device.CPU, 0)) {
                compare(c, java, ort, graph);
            }
        }
    }

    private static void compare(dev.veil.engine.model.LlamaConfig c, JavaLinearEngine java, OrtEngine ort, Exporter.RingGraph graph) {
        var rnd = new SplittableRandom(3);
        for (Projection p : Projection.values()) {
            for (int l = 0; l < (p.perLayer() ? c.layers() : 1); l++) {
                var id = new MatrixId(p, l);
                int cols = p.inDim(c);
                for (int n : new int[] {1, 5}) {
                    for (Ring ring : Ring.values()) {
                        long[] x = new long[n * cols];
                        for (int i = 0; i < x.length; i++) x[i] = ring.wrap(rnd.nextLong());
                        long[] edges = {ring.wrap(Long.MIN_VALUE >>> (64 - ring.bits)), ring.wrap(-1L >>> (65 - ring.bits)), -1, 0, 1};
                        System.arraycopy(edges, 0, x, 0, Math.min(edges.length, x.length)); // the ring's extremes
                        var in = new Rows.RingElements(ring, n, cols, x);
                        var want = (Rows.RingElements) java.multiply(id, in);
                        var got = (Rows.RingElements) ort.multiply(id, in);
                        String what = id + " " + ring + " " + graph + " n=" + n;
                        assertArrayEquals(want.data(), got.data(), what);
                        assertEquals(want.cols(), got.cols());
                        assertArrayEquals(java.rowScales(id, ring), ort.rowScales(id, ring), what);
                    }
                    float[] x = new float[n * cols];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    var in = new Rows.Floats(n, cols, x);
                    float[] want = ((Rows.Floats) java.multiply(id, in)).data(), got = ((Rows.Floats) ort.multiply(id, in)).data();
                    assertEquals(want.length, got.length);
                    double err = 0, norm = 0;
                    for (int i = 0; i < want.length; i++) {
                        err += (want[i] - got[i]) * (double) (want[i] - got[i]);
                        norm += want[i] * (double) want[i];
                    }
                    assertTrue(Math.sqrt(err) <= FLOAT_TOLERANCE * Math.sqrt(norm),
                            id + " float: relative error " + Math.sqrt(err / norm));
                }
            }
        }
    }

    @Test
    void aNumericModeNotExportedIsOneLine(@TempDir Path dir) throws Exception {
        Model m = ModelLoader.load(Shared.storiesBin(), null);
        Exporter.export(m.config(), m.linear(), "m", "m", Numeric.Z64, Exporter.Format.ONNX, Exporter.Device.CPU, dir, name -> {});
        try (var ort = OrtEngine.open(List.of(dir), OrtEngine.Device.CPU, 0)) {
            var id = new MatrixId(Projection.QKV, 0);
            var e = assertThrows(ProtocolException.class, () -> ort.multiply(id, new Rows.Floats(1, 64, new float[64])));
            assertEquals("this weights server serves [z64] products only (ONNX Runtime, from its exports); it has none in float: "
                    + "export the model with --numeric float", e.getMessage());
        }
    }
}
