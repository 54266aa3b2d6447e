package dev.veil.protocol.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.ProtocolException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The node's HTTP/1.1 client: one kept-alive socket for a run of calls, a socket the server closed while idle replaced,
 * replies read strictly (what it does not understand is one line, never a guess), and every call held to its deadline
 * against a server that drips its reply or stops reading the request.
 */
@Timeout(60)
class Http1Test {
    interface Script {
        void run(Socket s, int connection) throws IOException, InterruptedException;
    }

    final AtomicInteger accepted = new AtomicInteger();
    final CountDownLatch never = new CountDownLatch(1);
    ServerSocket server;

    Http1 serve(Script script) throws IOException {
        server = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    int n = accepted.incrementAndGet();
                    Thread.ofPlatform().daemon().start(() -> {
                        try (s) {
                            script.run(s, n);
                        } catch (IOException | InterruptedException e) {
                            // the client went away
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return new Http1("127.0.0.1", server.getLocalPort(), null);
    }

    @AfterEach
    void stop() throws IOException {
        never.countDown();
        if (server != null) server.close();
    }

    /** Reads one request (head and Content-Length body) or returns false at the stream's end. */
    static boolean request(InputStream in) throws IOException {
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) return false;
            head.append((char) b);
        }
        int i = head.indexOf("Content-Length: ");
        if (i >= 0) in.readNBytes(Integer.parseInt(head.substring(i + 16, head.indexOf("\r\n", i))));
        return true;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

    @Test
    void aRunOfCallsSharesOneKeptAliveSocket() throws IOException {
        try (var h = serve((s, n) -> {
            while (request(s.getInputStream())) s.getOutputStream().write(ascii(OK));
        })) {
            for (int i = 0; i < 5; i++) {
                var r = h.exchange("/v2/models/m/infer", 2, new byte[100], 1000, Duration.ofSeconds(10));
                assertEquals(200, r.status());
                assertArrayEquals(ascii("hello"), r.body());
                assertEquals(OK.length(), r.bytesReceived());
            }
            assertEquals(1, accepted.get());
        }
    }

    @Test
    void aSocketTheServerClosedWhileIdleIsReplacedAndTheCallSucceeds() throws IOException {
        try (var h = serve((s, n) -> {
            if (request(s.getInputStream())) s.getOutputStream().write(ascii(OK)); // one reply, then closed
        })) {
            assertEquals(200, h.exchange("/a", -1, null, 1000, Duration.ofSeconds(10)).status());
            assertEquals(200, h.exchange("/a", -1, null, 1000, Duration.ofSeconds(10)).status());
            assertEquals(2, accepted.get());
        }
    }

    @Test
    void connectionCloseAndHttp10AreNotKeptAlive() throws IOException {
        try (var h = serve((s, n) -> {
            if (request(s.getInputStream())) {
                s.getOutputStream().write(ascii(n == 1 ? "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
                        : "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
            }
            never.await(); // the socket stays open: the client must not reuse it
        })) {
            assertFalse(h.exchange("/a", -1, null, 1000, Duration.ofSeconds(10)).keepAlive());
            assertFalse(h.exchange("/a", -1, null, 1000, Duration.ofSeconds(10)).keepAlive());
            assertEquals(2, accepted.get());
        }
    }

    @Test
    void aServerThatDripsItsReplyFailsTheCallAtTheDeadline() throws IOException {
        var dripped = new AtomicInteger();
        try (var h = serve((s, n) -> {
            request(s.getInputStream());
            s.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nX: "));
            for (int i = 0; i < 600; i++) { // the peer's pace, a byte every 100 ms: each read is prompt, the whole is not
                s.getOutputStream().write('a');
                s.getOutputStream().flush();
                dripped.incrementAndGet();
                Thread.sleep(100);
            }
        })) {
            var e = assertThrows(ProtocolException.class, () -> h.exchange("/a", -1, null, 1000, Duration.ofSeconds(2)));
            assertEquals(ErrorCode.TIMEOUT, e.code(), e.getMessage());
            assertTrue(e.getMessage().startsWith("no reply from OIP weights server 127.0.0.1:"), e.getMessage());
            assertTrue(dripped.get() < 600, "cut at the deadline, while the peer was still dripping: " + dripped.get() + " bytes");
        }
    }

    @Test
    void aServerThatStopsReadingALargeRequestFailsTheCallAtTheDeadline() throws IOException {
        try (var h = serve((s, n) -> never.await())) {
            long t0 = System.nanoTime();
            var e = assertThrows(ProtocolException.class, () -> h.exchange("/a", 0, new byte[64 << 20], 1000, Duration.ofSeconds(2)));
            assertEquals(ErrorCode.TIMEOUT, e.code(), e.getMessage());
            assertTrue(System.nanoTime() - t0 < 8_000_000_000L, "the write was cut at the deadline");
        }
    }

    static Http1.Reply read(String stream, long most) throws IOException {
        return new Http1.ReplyReader(new ByteArrayInputStream(ascii(stream))).next(most);
    }

    static ProtocolException refused(String stream) {
        return assertThrows(ProtocolException.class, () -> read(stream, 1 << 20));
    }

    @Test
    void chunkedRepliesAreReassembledWithinTheCap() throws IOException {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nTrailer: t\r\n\r\n";
        var r = read(chunked, 5);
        assertArrayEquals(ascii("hello"), r.body());
        assertTrue(r.keepAlive());
        var many = new StringBuilder("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 10_000; i++) many.append("1\r\nx\r\n"); // more size lines than a head may hold: each is bounded alone
        assertEquals(10_000, read(many.append("0\r\n\r\n").toString(), 10_000).body().length);
        var longLine = refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + "e".repeat(300) + "\r\nx\r\n0\r\n\r\n");
        assertEquals(ErrorCode.TOO_LARGE, longLine.code(), longLine.getMessage());
        var e = assertThrows(ProtocolException.class, () -> read(chunked, 4));
        assertEquals(ErrorCode.TOO_LARGE, e.code());
        assertEquals("it sent a reply of over 4 bytes", e.getMessage());
    }

    @Test
    void aReplyAnnouncedPastTheCapIsRefusedBeforeItsBody() {
        var e = assertThrows(ProtocolException.class, () -> read("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n", 5));
        assertEquals(ErrorCode.TOO_LARGE, e.code());
        assertEquals("it announced a reply of 6 bytes; at most 5 were asked for", e.getMessage());
    }

    @Test
    void whatTheReaderDoesNotUnderstandIsRefusedInOneLine() {
        String[][] cases = {
            {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "both Content-Length and Transfer-Encoding"},
            {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", "a repeated content-length header"},
            {"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", "a malformed Content-Length"},
            {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "Transfer-Encoding 'gzip, chunked' is not supported"},
            {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n", "a chunk longer than its size"},
            {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000000\r\n", "a malformed chunk size"},
            {"HTTP/1.1 200 OK\r\n\r\n", "a reply without Content-Length or chunks"},
            {"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "a line ending in LF alone"},
            {"HTTP/1.1 200 OK\r\n Content-Length: 0\r\n\r\n", "a malformed header name"},
            {"HTTP/1.1 100 Continue\r\n\r\n", "status 100 was not expected"},
            {"HTTP/2 200\r\n\r\n", "it did not answer in HTTP/1.1"},
            {"HTTP/1.1 2000 OK\r\n\r\n", "a malformed status line"},
            {"\u0015\u0003\u0003\u0000\u0002\u0002\u0028", "it answered in TLS, not HTTP"},
            {"HTTP/1.1 200 OK\r\nX: a\u0000b\r\n\r\n", "a control character in the head"},
        };
        for (String[] c : cases) {
            var e = refused(c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[1] + " <- " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
        var e = refused("HTTP/1.1 200 OK\r\nX: " + "a".repeat(Http1.MAX_HEAD) + "\r\n\r\n");
        assertEquals(ErrorCode.TOO_LARGE, e.code());
    }

    @Test
    void repliesFollowOneAnotherOnAStream() throws IOException {
        var reader = new Http1.ReplyReader(new ByteArrayInputStream(ascii("HTTP/1.1 204 No Content\r\n\r\n" + OK + OK)));
        assertEquals(0, reader.next(10).body().length);
        assertArrayEquals(ascii("hello"), reader.next(10).body());
        assertTrue(reader.leftover());
        assertArrayEquals(ascii("hello"), reader.next(10).body());
        assertFalse(reader.leftover());
        assertThrows(java.io.EOFException.class, () -> reader.next(10));
    }
}
