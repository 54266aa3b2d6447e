package dev.veil.protocol.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
import dev.veil.engine.inference.Projection;
import dev.veil.protocol.Frame;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Peers that try to stall or exhaust the server: each must hurt only itself. */
@Timeout(60)
class HostilePeerTest {
    /** Like the weights server: one shared worker thread completes every call. Layer 1 answers 8 MiB. */
    final ExecutorService worker = Executors.newSingleThreadExecutor();
    final AtomicInteger bigReplies = new AtomicInteger();
    final Service shared = (peer, request) -> switch (request) {
        case Message.Hello h -> {
            peer.greeted(true);
            yield CompletableFuture.completedFuture(new Message.Error(dev.veil.protocol.ErrorCode.UNKNOWN_MODEL, "greeted"));
        }
        case Message.Linear l -> CompletableFuture.supplyAsync(() -> {
            int n = l.matrix().layer() == 1 ? 2 << 20 : l.input().cols();
            var reply = new Message.LinearReply(new Rows.Floats(1, n, new float[n]), 1);
            if (l.matrix().layer() == 1) bigReplies.incrementAndGet();
            return reply;
        }, worker);
        default -> throw new IllegalArgumentException("no");
    };

    @AfterEach
    void stop() {
        worker.shutdownNow();
    }

    static Message.Linear linear(int layer, float... values) {
        return new Message.Linear(new MatrixId(Projection.QKV, layer), new Rows.Floats(1, values.length, values));
    }

    static byte[] frame(int id, Message m) throws Exception {
        var b = new java.io.ByteArrayOutputStream();
        Frame.of(id, m).write(b);
        return b.toByteArray();
    }

    /** Sends HELLO and four calls whose 8 MiB replies it never reads; returns once the server has computed all four. */
    private Socket hog(TcpServer server) throws Exception {
        var hog = new Socket();
        hog.setReceiveBufferSize(4096);
        hog.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
        OutputStream out = hog.getOutputStream();
        out.write(frame(1, new Message.Hello("m")));
        for (int i = 2; i < 6; i++) out.write(frame(i, linear(1, 1f))); // 4 replies of 8 MiB, never read
        out.flush();
        Eventually.until("the server computed the hog's four replies", () -> bigReplies.get() == 4);
        return hog;
    }

    @Test
    void aPeerThatNeverReadsItsRepliesStallsNobody() throws Exception {
        // The hog is never dropped during the test (a write deadline of an hour): the other client must not need that.
        var limits = ServerLimits.defaults().withWriteDeadline(Duration.ofHours(1));
        try (var server = TcpServer.start(shared, "127.0.0.1", 0, null, limits); var hog = hog(server)) {
            try (var ch = TcpChannel.connect("127.0.0.1", server.port(), null, Eventually.LIMIT)) { // the limit bounds a hang
                for (int i = 0; i < 20; i++) assertEquals(3, ch.call(linear(2, 1f, 2f, 3f), Message.LinearReply.class).output().cols());
            }
            assertEquals(0, server.metrics().droppedFor("write_deadline"), "the other client was served while the hog stalled");
        }
    }

    @Test
    void aPeerThatNeverReadsItsRepliesIsDroppedAfterTheWriteDeadline() throws Exception {
        var limits = ServerLimits.defaults().withWriteDeadline(Duration.ofMillis(200)).withTick(Duration.ofMillis(50));
        try (var server = TcpServer.start(shared, "127.0.0.1", 0, null, limits); var hog = hog(server)) {
            Eventually.until("the hog is dropped", () -> server.metrics().droppedFor("write_deadline") == 1);
            // its stream ends after what fitted in the buffers
            hog.setSoTimeout((int) Eventually.LIMIT.toMillis());
            InputStream in = hog.getInputStream();
            long read = 0;
            try {
                for (int r; read < 4L * (8 << 20) && (r = in.read(new byte[1 << 16])) >= 0; ) read += r;
            } catch (java.net.SocketException reset) {
                // a reset is as good as an end
            }
            assertTrue(read < 4L * (8 << 20), "the hog was dropped before all its replies were written (" + read + " bytes)");
        }
    }

    @Test
    void aFrameMustArriveWholeWithinItsDeadlineEvenDrippedByteByByte() throws Exception {
        var limits = ServerLimits.defaults().withFrameDeadline(Duration.ofMillis(500)).withTick(Duration.ofMillis(50));
        try (var server = TcpServer.start(shared, "127.0.0.1", 0, null, limits);
             var s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout((int) Eventually.LIMIT.toMillis());
            // A frame of 2000 bytes, dripped a byte at a time with a pause shorter than the tick between bytes: a per-read
            // timeout would never fire, and it cannot complete before its deadline (2000 pauses of 10 ms are 20 s).
            byte[] hello = frame(1, new Message.Hello("m".repeat(2000)));
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < hello.length - 1 && s.getInputStream().available() == 0; i++) { // never the last byte
                try {
                    out.write(hello[i]);
                    out.flush();
                    Thread.sleep(10); // the hostile peer's pace, not a wait for anything
                } catch (java.io.IOException closed) {
                    break;
                }
            }
            String error = ((Message.Error) Frame.read(s.getInputStream(), 1 << 16).message()).text();
            assertTrue(error.contains("frame not complete within 500 ms"), error);
            assertEquals(1, server.metrics().droppedFor("frame_deadline"));
        }
    }

    @Test
    void beforeItGreetsAPeerMaySendOnlySmallFrames() throws Exception {
        try (var server = TcpServer.start(shared, "127.0.0.1", 0, null)) {
            byte[] big = {'V', 'L', 2, 5, 1, 0, 0, 0, 0, 0, 0x10, 0}; // announces 1 MiB, sends nothing
            String error = TcpTransportTest.rawReply(server, big);
            assertTrue(error.contains("before HELLO"), error);
            try (var ch = TcpChannel.connect("127.0.0.1", server.port(), null, Eventually.LIMIT)) {
                ch.exchange(new Message.Hello("m"));
                float[] wide = new float[1 << 18]; // 1 MiB after greeting is fine
                assertArrayEquals(new float[0], new float[0]);
                assertEquals(wide.length, ch.call(linear(2, wide), Message.LinearReply.class).output().cols());
            }
        }
    }

    @Test
    void connectionsAreBounded() throws Exception {
        // no deadline can free the one slot during the test: the second connection is refused because the first holds it
        var limits = ServerLimits.defaults().withMaxConnections(1).withGreetingDeadline(Duration.ofHours(1));
        try (var server = TcpServer.start(shared, "127.0.0.1", 0, null, limits);
             var silent = new Socket("127.0.0.1", server.port())) { // connects, never says HELLO
            Eventually.until("the first connection is accepted", () -> server.metrics().openConnections() == 1);
            try (var second = new Socket("127.0.0.1", server.port())) {
                second.setSoTimeout((int) Eventually.LIMIT.toMillis());
                String busy = ((Message.Error) Frame.read(second.getInputStream(), 1 << 16).message()).text();
                assertTrue(busy.contains("1 connections open"), busy);
            }
            assertEquals(1, server.metrics().refusedFor("connections"));
        }
    }

    @Test
    void aPeerMustGreetAndMayNotIdleForever() throws Exception {
        var limits = ServerLimits.defaults().withMaxConnections(1).withGreetingDeadline(Duration.ofMillis(300))
                .withIdleTimeout(Duration.ofMillis(300)).withTick(Duration.ofMillis(50));
        try (var server = TcpServer.start(shared, "127.0.0.1", 0, null, limits)) {
            try (var silent = new Socket("127.0.0.1", server.port())) { // connects, never says HELLO
                silent.setSoTimeout((int) Eventually.LIMIT.toMillis());
                String late = ((Message.Error) Frame.read(silent.getInputStream(), 1 << 16).message()).text();
                assertTrue(late.contains("no HELLO within 300 ms"), late);
            }
            Eventually.until("the silent peer's slot is free again", () -> server.metrics().openConnections() == 0);
            try (var idle = new Socket("127.0.0.1", server.port())) {
                idle.setSoTimeout((int) Eventually.LIMIT.toMillis());
                idle.getOutputStream().write(frame(1, new Message.Hello("m")));
                Frame.read(idle.getInputStream(), 1 << 16); // the greeting's reply
                String gone = ((Message.Error) Frame.read(idle.getInputStream(), 1 << 16).message()).text();
                assertTrue(gone.contains("idle for 300 ms"), gone);
            }
            assertEquals(0, server.metrics().refusedFor("connections"));
            assertEquals(1, server.metrics().droppedFor("greeting_deadline"));
            assertEquals(1, server.metrics().droppedFor("idle"));
        }
    }
}
