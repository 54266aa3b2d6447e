package dev.veil.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
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
import dev.veil.protocol.transport.Peer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What one caller may take from the weights server: reply sizes, multiply sizes, CMIF sessions and their memory. */
@Timeout(60)
class ServerBoundsTest {
    final Model model = InMemoryModels.create(InMemoryModels.llama(), 2);

    @Test
    void aCallWhoseReplyWouldExceedTheAnnouncedLimitIsRefusedBeforeItRuns() {
        var c = model.config();
        int limit = 64 << 10;
        try (var server = new WeightsServer("m", c, model.linear(), null, null, limit)) {
            var ch = new InMemoryChannel(server, Duration.ofSeconds(5));
            assertEquals(limit, ch.call(new Message.Hello("m"), Message.Welcome.class).maxFrameBytes());
            // 100 rows of dim 48 in (19 KB), 100 x 300 logits out (120 KB): the request fits, the reply would not
            int n = 100;
            var head = new Message.Linear(new MatrixId(Projection.LM_HEAD, 0), new Rows.Floats(n, c.dim(), new float[n * c.dim()]));
            var e = assertThrows(ProtocolException.class, () -> ch.call(head, Message.LinearReply.class));
            assertEquals(ErrorCode.TOO_LARGE, e.code());
            assertTrue(e.getMessage().contains("the reply would take 120017 bytes, over the limit of 65536"), e.getMessage());
            assertEquals(0, server.stats()[0], "nothing was multiplied");
        }
    }

    @Test
    void aCallLargerThanABatchIsCutIntoParts() throws Exception {
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        var batcher = new LinearBatcher((id, rows) -> {
            sizes.add(rows.rows());
            return rows;
        }, id -> 1, 3);
        var x = WeightsServerTest.ring(7, 5);
        var out = (Rows.RingElements) batcher.submit("peer", new MatrixId(Projection.QKV, 0), x).get().output();
        assertEquals(7, out.rows());
        assertEquals(5L, out.data()[0]);
        assertTrue(sizes.stream().allMatch(s -> s <= 3), "every multiply within the batch bound: " + sizes);
        assertEquals(7, sizes.stream().mapToInt(Integer::intValue).sum());
        batcher.close();
    }

    @Test
    void aSeededCallNamingTooManyRowsIsRefused() {
        var c = model.config();
        try (var server = new WeightsServer("m", c, model.linear(), null, null)) {
            var ch = new InMemoryChannel(server, Duration.ofSeconds(5));
            ch.call(new Message.Hello("m"), Message.Welcome.class);
            // 58 bytes on the wire; 32,768 LM-head rows would be a reply of 75 MiB, within the announced 256 MiB
            var flood = new Message.SeededLinear(new MatrixId(Projection.LM_HEAD, 0), Ring.Z64, 32768, c.dim(), new byte[32]);
            var e = assertThrows(ProtocolException.class, () -> ch.call(flood, Message.LinearReply.class));
            assertEquals(ErrorCode.TOO_LARGE, e.code());
            assertTrue(e.getMessage().contains("a SEEDED_LINEAR of 32768 rows of LM_HEAD would expand to and answer"), e.getMessage());
            int rows = (int) (Message.SeededLinear.MAX_BYTES / ((long) (c.dim() + c.vocabSize()) * 8));
            assertTrue(e.getMessage().contains("(" + rows + " rows of this matrix); send fewer rows per call"), e.getMessage());
            assertEquals(0, server.stats()[0], "nothing was expanded or multiplied");
            var most = new Message.SeededLinear(new MatrixId(Projection.LM_HEAD, 0), Ring.Z64, rows, c.dim(), new byte[32]);
            assertEquals(rows, ch.call(most, Message.LinearReply.class).output().rows(), "as many rows as the limit allows are served");
        }
    }

    /** One peer floods the batcher with large calls; another's small call runs in the next batch, not after the flood. */
    @Test
    void aPeerThatFloodsWaitsBehindItsOwnCallsNotOthers() throws Exception {
        var running = new java.util.concurrent.Semaphore(0);
        List<Boolean> honestInBatch = new CopyOnWriteArrayList<>();
        var batcher = new LinearBatcher((id, rows) -> {
            long[] d = ((Rows.RingElements) rows).data();
            boolean honest = false;
            for (int i = 0; i < rows.rows() * rows.cols() && !honest; i += rows.cols()) honest = d[i] == 99;
            honestInBatch.add(honest);
            running.acquireUninterruptibly(); // one batch at a time, as the test lets them
            return rows;
        }, id -> 1, 64);
        var id = new MatrixId(Projection.QKV, 0);
        List<java.util.concurrent.CompletableFuture<LinearBatcher.Result>> flood = new ArrayList<>();
        for (int i = 0; i < 50; i++) flood.add(batcher.submit("flood", id, WeightsServerTest.ring(64, 1)));
        Eventually.until("the first batch runs", () -> honestInBatch.size() == 1);
        var honest = batcher.submit("honest", id, WeightsServerTest.ring(1, 99));
        running.release(1000);
        honest.get();
        for (var f : flood) f.get();
        assertEquals(51, honestInBatch.size());
        assertTrue(honestInBatch.indexOf(true) == 1, "the honest call ran in batch " + honestInBatch.indexOf(true) + " of 51");
        batcher.close();
    }

    static Message.Decode decode(Model m, long session, int position, int rows) {
        int dim = m.config().dim();
        return new Message.Decode(session, position, new Rows.Floats(rows, dim, new float[rows * dim]));
    }

    @Test
    void aDecodeThatArrivesAfterItsConnectionClosedKeepsNothing() {
        var stack = new DecoderStack(model.config(), model.node(), model.linear(), 16, 1L << 30);
        var peer = new Peer("test");
        stack.decode(peer, decode(model, 1, 0, 2));
        assertEquals(1, stack.openSessions());
        stack.disconnected(peer); // the connection ends while another DECODE of this peer is still queued
        var e = assertThrows(ProtocolException.class, () -> stack.decode(peer, decode(model, 2, 0, 2)));
        assertEquals(ErrorCode.CLOSED, e.code());
        assertEquals(0, stack.openSessions());
        assertEquals(0, stack.cacheBytes());
    }

    @Test
    void sessionsAndTheirCachesAreBoundedOverAllConnections() {
        var c = model.config();
        long perSession = 2L * c.layers() * c.contextLength() * c.kvDim() * Float.BYTES; // capacity = context (64)
        var stack = new DecoderStack(c, model.node(), model.linear(), 3, 2 * perSession);
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++) peers.add(new Peer("p" + i));
        stack.decode(peers.get(0), decode(model, 1, 0, 1));
        stack.decode(peers.get(1), decode(model, 1, 0, 1));
        var busy = assertThrows(ProtocolException.class, () -> stack.decode(peers.get(2), decode(model, 1, 0, 1)));
        assertEquals(ErrorCode.BUSY, busy.code());
        assertTrue(busy.getMessage().contains("KV caches are at their bound"), busy.getMessage());
        stack.end(peers.get(0), 1);
        stack.decode(peers.get(2), decode(model, 1, 0, 1)); // room again
        assertEquals(2, stack.openSessions());
        assertEquals(2 * perSession, stack.cacheBytes());
        stack.disconnected(peers.get(1));
        stack.disconnected(peers.get(2));
        assertEquals(0, stack.cacheBytes());
        var few = new DecoderStack(c, model.node(), model.linear(), 1, 1L << 30);
        few.decode(peers.get(0), decode(model, 7, 0, 1));
        assertEquals(ErrorCode.BUSY, assertThrows(ProtocolException.class, () -> few.decode(new Peer("q"), decode(model, 1, 0, 1))).code());
    }
}
