package dev.veil.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.InMemoryModels;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.InMemoryChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class WeightsServerTest {
    final Model model = InMemoryModels.create(InMemoryModels.llama(), 2);

    ProtocolException refused(InMemoryChannel ch, Message m) {
        return assertThrows(ProtocolException.class, () -> ch.call(m, Message.LinearReply.class));
    }

    @Test
    void badRequestsGetOneLineErrors() {
        var c = model.config();
        try (var server = new WeightsServer("m", c, model.linear(), null)) {
            var ch = new InMemoryChannel(server, Duration.ofSeconds(5));
            var ok = new Message.Linear(new MatrixId(Projection.QKV, 0), new Rows.Floats(1, c.dim(), new float[c.dim()]));
            assertEquals(ErrorCode.NOT_GREETED, refused(ch, ok).code());
            assertEquals(ErrorCode.UNKNOWN_MODEL, assertThrows(ProtocolException.class, () -> ch.call(new Message.Hello("x"), Message.Welcome.class)).code());
            ch.call(new Message.Hello("m"), Message.Welcome.class);
            assertEquals(c.qDim() + 2 * c.kvDim(), ch.call(ok, Message.LinearReply.class).output().cols());

            var e = refused(ch, new Message.Linear(new MatrixId(Projection.QKV, 0), new Rows.Floats(1, 5, new float[5])));
            assertEquals("weights server: QKV[0] takes rows of 48 values, got 5", e.getMessage());
            e = refused(ch, new Message.Linear(new MatrixId(Projection.FFN_DOWN, 9), new Rows.Floats(1, c.hiddenDim(), new float[c.hiddenDim()])));
            assertEquals("weights server: model 'm' has no matrix FFN_DOWN[9] (2 layers)", e.getMessage());
            var full = new Message.Setup(new MatrixId(Projection.ATTN_OUT, 1), new Rows.Floats(c.qDim(), c.qDim(), new float[c.qDim() * c.qDim()]));
            e = assertThrows(ProtocolException.class, () -> ch.call(full, Message.SetupReply.class));
            assertEquals(ErrorCode.BAD_SHAPE, e.code());
            assertTrue(e.getMessage().contains("fewer rows than the matrix has inputs"), e.getMessage());
        }
    }

    /** SEEDED_LINEAR: the server multiplies the seed's stream, exactly as if the rows had been sent; bounded like them. */
    @Test
    void aSeededCallIsTheCallOfItsExpandedRows() {
        var c = model.config();
        byte[] seed = new byte[32];
        seed[0] = 42;
        var id = new MatrixId(Projection.GATE_UP, 1);
        var seeded = new Message.SeededLinear(id, Ring.Z64, 3, c.dim(), seed);
        int limit = 17 + 4 * 8 * 2 * c.hiddenDim(); // exactly the reply of 4 rows
        try (var server = new WeightsServer("m", c, model.linear(), null, null, limit)) {
            var ch = new InMemoryChannel(server, Duration.ofSeconds(5));
            assertEquals(ErrorCode.NOT_GREETED, refused(ch, seeded).code());
            ch.call(new Message.Hello("m"), Message.Welcome.class);
            var fromSeed = (Rows.RingElements) ch.call(seeded, Message.LinearReply.class).output();
            var fromRows = (Rows.RingElements) ch.call(seeded.expand(), Message.LinearReply.class).output();
            assertEquals(3, fromSeed.rows());
            org.junit.jupiter.api.Assertions.assertArrayEquals(fromRows.data(), fromSeed.data());
            var e = refused(ch, new Message.SeededLinear(id, Ring.Z64, 1, 5, seed));
            assertEquals("weights server: GATE_UP[1] takes rows of 48 values, got 5", e.getMessage());
            // a 58-byte frame may not make the server hold more than a LINEAR and its reply could: four rows' reply fits the
            // limit, four rows' reply and expanded input do not
            var four = new Message.SeededLinear(id, Ring.Z64, 4, c.dim(), seed);
            assertEquals(4, ch.call(four.expand(), Message.LinearReply.class).output().rows());
            e = refused(ch, four);
            assertEquals(ErrorCode.TOO_LARGE, e.code());
        }
    }

    @Test
    void concurrentCallsOnOneMatrixShareOneMultiply() throws Exception {
        var started = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        var batcher = new LinearBatcher((id, rows) -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return rows; // identity: each caller must get back its own rows
        }, id -> 1, 1000);
        var a = new MatrixId(Projection.QKV, 0);
        var first = batcher.submit("peer 0", a, ring(1, 0));
        started.await(); // the first call runs alone; five more queue behind it, one on another matrix
        List<CompletableFuture<LinearBatcher.Result>> queued = new ArrayList<>();
        for (int i = 1; i <= 4; i++) queued.add(batcher.submit("peer " + i, a, ring(i, i * 10))); // peers' calls batch together
        var other = batcher.submit("peer 5", new MatrixId(Projection.QKV, 1), ring(1, 99));
        release.countDown();
        assertEquals(1, first.get().output().rows());
        for (int i = 1; i <= 4; i++) {
            var r = queued.get(i - 1).get();
            assertEquals(i, r.output().rows());
            assertEquals(i * 10L, ((Rows.RingElements) r.output()).data()[0]);
        }
        assertEquals(99L, ((Rows.RingElements) other.get().output()).data()[0]);
        assertEquals(3, batcher.stats()[0]); // three multiplies for six calls
        assertEquals(6, batcher.stats()[1]);
        assertEquals(1 + (1 + 2 + 3 + 4) + 1, batcher.stats()[2]);
        batcher.close();
    }

    static Rows ring(int rows, long first) {
        long[] d = new long[rows * 2];
        d[0] = first;
        return new Rows.RingElements(Ring.Z64, rows, 2, d);
    }

    /** The weights server's module must not see the trusted node's code: not in its pom, not on its class path. */
    @Test
    void weightsServerCannotReachTheTrustedNode() throws Exception {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("dev.veil.node.remo.RemoNode"));
        assertThrows(ClassNotFoundException.class, () -> Class.forName("dev.veil.node.MaskRandom"));
        String pom = Files.readString(Path.of("pom.xml"));
        assertTrue(pom.contains("<artifactId>veil-weights</artifactId>"), "run from the module directory");
        String dependencies = pom.substring(pom.indexOf("<dependencies>"), pom.indexOf("</dependencies>"));
        for (String forbidden : new String[] {"veil-node", "veil-cli", "veil-attack"}) {
            assertTrue(!dependencies.contains("<artifactId>" + forbidden + "</artifactId>"), "veil-weights must not depend on " + forbidden);
        }
    }
}
