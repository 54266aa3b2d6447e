package dev.veil.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
import dev.veil.engine.InMemoryModels;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.Frame;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Peers that flood the weights server with calls whose replies they never read: they get CPU only as fast as they read. */
@Timeout(60)
class HostileCallsTest {
    final Model model = InMemoryModels.create(InMemoryModels.llama(), 2);
    final MatrixId head = new MatrixId(Projection.LM_HEAD, 0);

    static byte[] frame(int id, Message m) throws Exception {
        var b = new ByteArrayOutputStream();
        Frame.of(id, m).write(b);
        return b.toByteArray();
    }

    @Test
    void aPeerThatDoesNotReadGetsNothingMoreComputedWhileAnHonestPeerIsServed() throws Exception {
        var c = model.config();
        int rows = (1 << 20) / (c.vocabSize() * 8); // 1 MiB replies
        try (var weights = new WeightsServer("m", c, model.linear(), null, null);
             var server = TcpServer.start(weights, "127.0.0.1", 0, null, ServerLimits.defaults(), line -> {});
             var hog = new Socket()) {
            hog.setReceiveBufferSize(4096);
            hog.connect(new InetSocketAddress("127.0.0.1", server.port()));
            hog.getOutputStream().write(frame(1, new Message.Hello("m")));
            byte[] call = frame(2, new Message.Linear(head, new Rows.RingElements(Ring.Z64, rows, c.dim(), new long[rows * c.dim()])));
            for (int i = 0; i < 64; i++) hog.getOutputStream().write(call); // 64 MiB of replies, never read
            hog.getOutputStream().flush();
            Eventually.until("the hog's unread replies pass its backlog", () -> server.metrics().backlogged() == 1);
            long before = weights.stats()[2];
            try (var honest = TcpChannel.connect("127.0.0.1", server.port(), null, Eventually.LIMIT)) {
                honest.call(new Message.Hello("m"), Message.Welcome.class);
                var one = new Message.Linear(head, new Rows.RingElements(Ring.Z64, 1, c.dim(), new long[c.dim()]));
                for (int i = 0; i < 50; i++) assertEquals(c.vocabSize(), honest.call(one, Message.LinearReply.class).output().cols());
            }
            long multiplied = weights.stats()[2] - before;
            int batch = LinearBatcher.batchRows((long) c.dim() * c.vocabSize(), WeightsServer.MAX_BATCH_ROWS);
            // The honest peer's 50 rows, the batch that was running when the hog fell behind, and the hog calls that the
            // kernel's send buffer lets through after that: it keeps taking the hog's unwritten bytes (up to tcp_wmem's
            // ceiling, 4 MiB by default), and each MiB it takes brings the hog back under its backlog for one more call.
            // Seen once in CI: 433 hog rows (one call). Without the gate the hog's other ~60 calls (26,000 rows) run.
            long kernel = kernelSendBufferCeiling(), replyBytes = (long) rows * c.vocabSize() * 8;
            long bound = 50 + batch + (kernel / replyBytes + 1) * rows;
            assertTrue(multiplied <= bound, multiplied + " rows multiplied for 50 honest ones (bound " + bound + ")");
        }
    }

    /** The most a Linux socket's send buffer grows to (tcp_wmem's third value); 4 MiB, the default, elsewhere. */
    static long kernelSendBufferCeiling() {
        try {
            String[] wmem = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+");
            return Long.parseLong(wmem[2]);
        } catch (java.io.IOException | RuntimeException e) {
            return 4L << 20;
        }
    }
}
