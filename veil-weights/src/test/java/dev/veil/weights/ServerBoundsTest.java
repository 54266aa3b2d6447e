package dev.veil.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.InMemoryModels;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
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
        }, 3);
        var x = WeightsServerTest.ring(7, 5);
        var out = (Rows.RingElements) batcher.submit(new MatrixId(Projection.QKV, 0), x).get().output();
        assertEquals(7, out.rows());
        assertEquals(5L, out.data()[0]);
        assertTrue(sizes.stream().allMatch(s -> s <= 3), "every multiply within the batch bound: " + sizes);
        assertEquals(7, sizes.stream().mapToInt(Integer::intValue).sum());
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
