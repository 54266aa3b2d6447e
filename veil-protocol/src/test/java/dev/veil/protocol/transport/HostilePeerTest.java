package dev.veil.protocol.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Peers that try to stall or exhaust the server: each must hurt only itself. */
@Timeout(60)
class HostilePeerTest {
    /** Like the weights server: one shared worker thread completes every call. Layer 1 answers 8 MiB. */
    final ExecutorService worker = Executors.newSingleThreadExecutor();
    final Service shared = (peer, request) -> switch (request) {
        case Message.Hello h -> {
            peer.greeted(true);
            yield CompletableFuture.completedFuture(new Message.Error(dev.veil.protocol.ErrorCode.UNKNOWN_MODEL, "greeted"));
        }
        case Message.Linear l -> CompletableFuture.supplyAsync(() -> {
            int n = l.matrix().layer() == 1 ? 2 << 20 : l.input().cols();
            return new Message.LinearReply(new Rows.Floats(1, n, new float[n]), 1);
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

    @Test
    void aPeerThatNeverReadsItsRepliesStallsNobodyAndIsDropped() throws Exception {
        // the write deadline is longer than the other client's timeout: the other client must not need it
        var limits = ServerLimits.defaults().withWriteDeadline(Duration.ofSeconds(6));
        try (var server = TcpServer.start(shared, "127.0.0.1", 0, null, limits);
             var hog = new Socket()) {
            hog.setReceiveBufferSize(4096);
            hog.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
            OutputStream out = hog.getOutputStream();
            out.write(frame(1, new Message.Hello("m")));
            for (int i = 2; i < 6; i++) out.write(frame(i, linear(1, 1f))); // 4 replies of 8 MiB, never read
            out.flush();
            Thread.sleep(300);
            try (var ch = TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(3))) {
                for (int i = 0; i < 20; i++) assertEquals(3, ch.call(linear(2, 1f, 2f, 3f), Message.LinearReply.class).output().cols());
            }
            // after the write deadline the hog is dropped: its stream ends after what fitted in the buffers
            Thread.sleep(7000);
            hog.setSoTimeout(10_000);
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
        var limits = ServerLimits.defaults().withFrameDeadline(Duration.ofMillis(1500)).withTick(Duration.ofMillis(100));
        try (var server = TcpServer.start(shared, "127.0.0.1", 0, null, limits);
             var s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            byte[] hello = frame(1, new Message.Hello("a-model-name"));
            OutputStream out = s.getOutputStream();
            long t0 = System.nanoTime();
            String error = null;
            for (int i = 0; i < hello.length && error == null; i++) {
                try {
                    out.write(hello[i]);
                    out.flush();
                    Thread.sleep(400); // each byte well within any per-read timeout
                } catch (java.io.IOException closed) {
                    break;
                }
                if (s.getInputStream().available() > 0) error = ((Message.Error) Frame.read(s.getInputStream(), 1 << 16).message()).text();
            }
            if (error == null) error = ((Message.Error) Frame.read(s.getInputStream(), 1 << 16).message()).text();
            assertTrue(error.contains("not complete within"), error);
            assertTrue(System.nanoTime() - t0 < 5e9, "dropped in time");
        }
    }

    @Test
    void beforeItGreetsAPeerMaySendOnlySmallFrames() throws Exception {
        try (var server = TcpServer.start(shared, "127.0.0.1", 0, null)) {
            byte[] big = {'V', 'L', 2, 5, 1, 0, 0, 0, 0, 0, 0x10, 0}; // announces 1 MiB, sends nothing
            String error = TcpTransportTest.rawReply(server, big);
            assertTrue(error.contains("before HELLO"), error);
            try (var ch = TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(3))) {
                ch.exchange(new Message.Hello("m"));
                float[] wide = new float[1 << 18]; // 1 MiB after greeting is fine
                assertArrayEquals(new float[0], new float[0]);
                assertEquals(wide.length, ch.call(linear(2, wide), Message.LinearReply.class).output().cols());
            }
        }
    }

    @Test
    void connectionsAreBoundedAndMustGreetAndMayNotIdleForever() throws Exception {
        var limits = ServerLimits.defaults().withMaxConnections(1).withGreetingDeadline(Duration.ofMillis(600))
                .withIdleTimeout(Duration.ofMillis(900)).withTick(Duration.ofMillis(100));
        try (var server = TcpServer.start(shared, "127.0.0.1", 0, null, limits)) {
            try (var silent = new Socket("127.0.0.1", server.port())) { // connects, never says HELLO
                silent.setSoTimeout(5000);
                try (var second = new Socket("127.0.0.1", server.port())) {
                    second.setSoTimeout(5000);
                    String busy = ((Message.Error) Frame.read(second.getInputStream(), 1 << 16).message()).text();
                    assertTrue(busy.contains("1 connections open"), busy);
                }
                String late = ((Message.Error) Frame.read(silent.getInputStream(), 1 << 16).message()).text();
                assertTrue(late.contains("no HELLO within 600 ms"), late);
            }
            Thread.sleep(300); // the silent peer's slot is free again
            try (var idle = new Socket("127.0.0.1", server.port())) {
                idle.setSoTimeout(5000);
                idle.getOutputStream().write(frame(1, new Message.Hello("m")));
                Frame.read(idle.getInputStream(), 1 << 16); // the greeting's reply
                String gone = ((Message.Error) Frame.read(idle.getInputStream(), 1 << 16).message()).text();
                assertTrue(gone.contains("idle for 900 ms"), gone);
            }
            assertEquals(1, server.metrics().refusedFor("connections"));
            assertEquals(1, server.metrics().droppedFor("greeting_deadline"));
            assertEquals(1, server.metrics().droppedFor("idle"));
        }
    }
}
