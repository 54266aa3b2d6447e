package dev.veil.protocol.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
import dev.veil.engine.inference.Projection;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class TcpTransportTest {
    /** Doubles every input value; layer 7 never answers, layer 8 fails. */
    static final Service DOUBLER = (peer, request) -> switch (request) {
        case Message.Linear l when l.matrix().layer() == 7 -> new CompletableFuture<>();
        case Message.Linear l when l.matrix().layer() == 8 -> throw new IllegalArgumentException("wrong shape for " + l.matrix());
        case Message.Linear l -> {
            float[] d = ((Rows.Floats) l.input()).data().clone();
            for (int i = 0; i < d.length; i++) d[i] *= 2;
            yield CompletableFuture.completedFuture(new Message.LinearReply(new Rows.Floats(l.input().rows(), l.input().cols(), d), 1));
        }
        default -> CompletableFuture.completedFuture(new Message.Error(ErrorCode.NOT_GREETED, "only linear calls here"));
    };

    static Message.Linear linear(int layer, float... values) {
        return new Message.Linear(new MatrixId(Projection.QKV, layer), new Rows.Floats(1, values.length, values));
    }

    @Test
    void concurrentCallsEachGetTheirOwnReply() throws Exception {
        try (var server = TcpServer.start(DOUBLER, "127.0.0.1", 0, null);
             var ch = TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(10));
             var pool = Executors.newFixedThreadPool(8)) {
            List<Future<float[]>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                float v = i + 1;
                results.add(pool.submit(() -> ((Rows.Floats) ch.call(linear(1, v, -v), Message.LinearReply.class).output()).data()));
            }
            for (int i = 0; i < 200; i++) assertArrayEquals(new float[] {2 * (i + 1), -2 * (i + 1)}, results.get(i).get());
            assertEquals(200, ch.traffic().calls());
            assertTrue(ch.traffic().bytesSent() > 200 * 12);
        }
    }

    @Test
    void serverErrorsAreOneLineAndTheConnectionSurvives() throws Exception {
        try (var server = TcpServer.start(DOUBLER, "127.0.0.1", 0, null);
             var ch = TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(10))) {
            var e = assertThrows(ProtocolException.class, () -> ch.call(linear(8, 1f), Message.LinearReply.class));
            assertEquals(ErrorCode.BAD_SHAPE, e.code());
            assertEquals("weights server: wrong shape for QKV[8]", e.getMessage());
            assertEquals(ErrorCode.NOT_GREETED, assertThrows(ProtocolException.class,
                    () -> ch.call(new Message.Hello("x"), Message.Welcome.class)).code());
            ch.call(linear(1, 3f), Message.LinearReply.class);
        }
    }

    @Test
    void silentServerTimesOutAndDeadServerFailsFast() throws Exception {
        var arrived = new AtomicInteger(); // calls to layer 7, which never answers, that reached the server
        Service silent = (peer, request) -> {
            if (request instanceof Message.Linear l && l.matrix().layer() == 7) arrived.incrementAndGet();
            return DOUBLER.handle(peer, request);
        };
        try (var server = TcpServer.start(silent, "127.0.0.1", 0, null)) {
            var ch = TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofMillis(500)); // the timeout under test
            var e = assertThrows(ProtocolException.class, () -> ch.call(linear(7, 1f), Message.LinearReply.class));
            assertEquals(ErrorCode.TIMEOUT, e.code());
            assertTrue(e.getMessage().contains("no reply"), e.getMessage());
            assertEquals(ErrorCode.TIMEOUT, assertThrows(ProtocolException.class, () -> ch.call(linear(1, 1f), Message.LinearReply.class)).code());

            var ch2 = TcpChannel.connect("127.0.0.1", server.port(), null, Eventually.LIMIT);
            long before = arrived.get();
            var pending = CompletableFuture.supplyAsync(() -> ch2.call(linear(7, 1f), Message.LinearReply.class));
            Eventually.until("the call reached the server", () -> arrived.get() > before);
            server.close(); // the peer dies while a call is in flight
            var dead = assertThrows(Exception.class, pending::join);
            assertEquals(ErrorCode.CLOSED, ((ProtocolException) dead.getCause()).code());
        }
        var refused = assertThrows(ProtocolException.class, () -> TcpChannel.connect("127.0.0.1", 1, null, Duration.ofSeconds(2)));
        assertTrue(refused.getMessage().startsWith("cannot connect to weights server 127.0.0.1:1"), refused.getMessage());
    }

    @Test
    void garbageOversizedAndStalledFramesGetAnErrorAndAClose() throws Exception {
        try (var server = TcpServer.start(DOUBLER, "127.0.0.1", 0, null, 1024, Duration.ofMillis(300))) {
            assertTrue(rawReply(server, "GET / HTTP/1.1\r\n\r\n".getBytes()).contains("bad magic"));
            byte[] huge = {'V', 'L', 2, 5, 1, 0, 0, 0, 0, 0, 0, 0x10};
            assertTrue(rawReply(server, huge).contains("before HELLO; at most 1024 bytes"));
            byte[] v1 = {'V', 'L', 1, 5, 1, 0, 0, 0, 0, 0, 0, 0}; // version 1, before SEEDED_LINEAR: refused, and said why
            assertTrue(rawReply(server, v1).contains("version 1 is not supported (this side speaks 2"));
            byte[] v3 = {'V', 'L', 3, 5, 1, 0, 0, 0, 0, 0, 0, 0};
            assertTrue(rawReply(server, v3).contains("version 3 is not supported"));
            byte[] stalled = {'V', 'L', 2, 5, 1, 0, 0, 0, 100, 0, 0, 0, 1, 2};
            assertTrue(rawReply(server, stalled).contains("frame not complete within 300 ms"));
            byte[] malformed = {'V', 'L', 2, 5, 9, 0, 0, 0, 1, 0, 0, 0, 1}; // a 1-byte LINEAR payload
            assertTrue(rawReply(server, malformed).contains("malformed message"));
        }
    }

    /** Sends raw bytes, returns the text of the ERROR reply; the server must answer, and not hang. */
    static String rawReply(TcpServer server, byte[] bytes) throws Exception {
        try (var s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout((int) Eventually.LIMIT.toMillis()); // bounds a hang only
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = s.getInputStream();
            var f = dev.veil.protocol.Frame.read(in, 1 << 16);
            return ((Message.Error) f.message()).text();
        }
    }
}
