package dev.veil.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Frame;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weights server with ONNX Runtime behind its seam answers every message as the server with Veil's engine does:
 * setup replies (products and row scales), linear calls, seeded calls, a call cut into several batches; and refuses
 * the same bad calls with the same errors, its limits unchanged.
 */
@Timeout(120)
class OrtWeightsServerTest {
    @Test
    void answersAndRefusalsAreTheJavaServers(@TempDir Path dir) throws Exception {
        Model m = ModelLoader.load(Shared.storiesBin(), null);
        var c = m.config();
        Exporter.export(c, m.linear(), "stories260K.bin", "m", Numeric.Z64, Exporter.Format.ONNX, Exporter.Device.CPU, dir, name -> {});
        try (var engine = OrtEngine.open(List.of(dir), OrtEngine.Device.CPU, 1);
             var ort = new WeightsServer("m", ModelDims.of(c), engine, null, Frame.DEFAULT_MAX_PAYLOAD);
             var java = new WeightsServer("m", c, m.linear(), null)) {
            var o = new InMemoryChannel(ort, Duration.ofSeconds(30));
            var j = new InMemoryChannel(java, Duration.ofSeconds(30));
            assertEquals(ErrorCode.NOT_GREETED, assertThrows(ProtocolException.class,
                    () -> o.call(new Message.Linear(new MatrixId(Projection.QKV, 0), ring(1, c.dim(), 1)), Message.LinearReply.class)).code());
            assertEquals(j.call(new Message.Hello("m"), Message.Welcome.class), o.call(new Message.Hello("m"), Message.Welcome.class));

            var id = new MatrixId(Projection.GATE_UP, 2);
            var setup = new Message.Setup(id, ring(3, c.dim(), 2));
            var so = o.call(setup, Message.SetupReply.class);
            var sj = j.call(setup, Message.SetupReply.class);
            assertArrayEquals(((Rows.RingElements) sj.restoration()).data(), ((Rows.RingElements) so.restoration()).data());
            assertArrayEquals(sj.rowScales(), so.rowScales());

            // 1,000 rows of a 64-wide matrix: several batches (LinearBatcher.BATCH_MACS), stitched back in order
            for (var call : List.of(new Message.Linear(new MatrixId(Projection.LM_HEAD, 0), ring(1000, c.dim(), 3)),
                    new Message.Linear(new MatrixId(Projection.FFN_DOWN, 4), ring(7, c.hiddenDim(), 4)))) {
                assertArrayEquals(((Rows.RingElements) j.call(call, Message.LinearReply.class).output()).data(),
                        ((Rows.RingElements) o.call(call, Message.LinearReply.class).output()).data(), call.matrix().toString());
            }
            byte[] seed = new byte[32];
            seed[3] = 7;
            var seeded = new Message.SeededLinear(new MatrixId(Projection.QKV, 1), Ring.Z64, 5, c.dim(), seed);
            assertArrayEquals(((Rows.RingElements) j.call(seeded, Message.LinearReply.class).output()).data(),
                    ((Rows.RingElements) o.call(seeded, Message.LinearReply.class).output()).data());
            assertTrue(ort.stats()[0] > 3, "the batcher ran the calls: " + ort.stats()[0] + " batches");

            int tooMany = Frame.DEFAULT_MAX_PAYLOAD / (8 * c.vocabSize()) + 1; // rows whose reply passes the announced limit
            for (Message bad : List.of(new Message.Linear(new MatrixId(Projection.QKV, 0), ring(1, 5, 5)),
                    new Message.Linear(new MatrixId(Projection.FFN_DOWN, 9), ring(1, c.hiddenDim(), 6)),
                    new Message.Linear(new MatrixId(Projection.LM_HEAD, 0), ring(tooMany, c.dim(), 7)))) {
                var ej = assertThrows(ProtocolException.class, () -> j.call(bad, Message.LinearReply.class));
                var eo = assertThrows(ProtocolException.class, () -> o.call(bad, Message.LinearReply.class));
                assertEquals(ej.code(), eo.code());
                assertEquals(ej.getMessage(), eo.getMessage());
            }
            var floats = new Message.Linear(new MatrixId(Projection.QKV, 0), new Rows.Floats(1, c.dim(), new float[c.dim()]));
            var e = assertThrows(ProtocolException.class, () -> o.call(floats, Message.LinearReply.class));
            assertTrue(e.getMessage().contains("serves [z64] products only"), e.getMessage());
        }
    }

    private static Rows.RingElements ring(int rows, int cols, long seed) {
        var rnd = new SplittableRandom(seed);
        return new Rows.RingElements(Ring.Z64, rows, cols, rnd.longs((long) rows * cols).toArray());
    }
}
