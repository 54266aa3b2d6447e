package dev.veil.protocol.transport;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.ProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

/**
 * The node's HTTP/1.1 client for an OIP server: the few bytes of HTTP the Open Inference Protocol needs, on kept-alive
 * sockets (plain, or mutual TLS 1.3 with {@link Tls#configure}), one exchange at a time per socket (a caller that
 * finds none idle opens one). Requests carry Content-Length bodies; replies are read strictly: a status line of
 * HTTP/1.1 (or 1.0, then closed), CRLF lines, token header names, a head of at most {@link #MAX_HEAD} bytes, a body
 * framed by one Content-Length or by chunks, never both, never by the connection's close, and never more than the
 * caller's cap (refused as announced, or as it arrives). Anything else fails the call with one line; the socket is
 * then closed. The whole exchange runs within the caller's deadline: every read waits at most what is left of it,
 * and a large request's write is watched (a server that stops reading has its socket closed).
 */
public final class Http1 implements OipChannel.Transport {
    /** The most bytes of a reply's status line and headers (and of a chunked reply's trailers). */
    public static final int MAX_HEAD = 16 << 10;
    /** Requests up to this size are written without a watchdog: an idle kept-alive socket's send buffer takes them. */
    private static final int WATCHED_WRITE = 8 << 10;
    /** The most bytes of a chunk's size line, extensions included. */
    private static final int CHUNK_LINE = 256;
    private static final ScheduledThreadPoolExecutor WATCHDOG = watchdog();

    private final String host, name;
    private final int port;
    private final SSLContext tls;
    private final byte[] hostHeader;
    private final ConcurrentLinkedDeque<Conn> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    /** A reply: its status, its headers (names in lower case, repeated ones joined by ", "), its body, and the bytes on the wire. */
    public record Reply(int status, Map<String, String> headers, byte[] body, boolean keepAlive, long bytesSent, long bytesReceived) {
        Reply withSent(long sent) {
            return new Reply(status, headers, body, keepAlive, sent, bytesReceived);
        }
    }

    public Http1(String host, int port, SSLContext tls) {
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.name = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        this.hostHeader = ("Host: " + name + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static ScheduledThreadPoolExecutor watchdog() {
        var w = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform().daemon().name("veil-oip-watchdog").unstarted(r));
        w.setRemoveOnCancelPolicy(true);
        return w;
    }

    @Override
    public Reply exchange(String path, int headerLength, byte[] body, long most, Duration timeout) {
        if (closed) throw new ProtocolException(ErrorCode.CLOSED, "the channel to OIP weights server " + name + " is closed");
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] head = head(path, headerLength, body);
        while (true) {
            Conn c = idle.pollFirst();
            boolean reused = c != null;
            if (c == null) c = open(deadline, timeout);
            c.deadline = deadline;
            var watch = head.length + (body == null ? 0 : body.length) > WATCHED_WRITE
                    ? WATCHDOG.schedule(c::close, Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS) : null;
            try {
                c.out.write(head);
                if (body != null) c.out.write(body);
                c.out.flush();
                if (watch != null) watch.cancel(false);
                Reply r = c.reader.next(most);
                if (r.keepAlive() && !c.reader.leftover() && !closed) {
                    idle.offerFirst(c);
                    if (closed) close(); // closed meanwhile: no socket outlives the channel
                } else {
                    c.close();
                }
                return r.withSent(head.length + (body == null ? 0 : body.length));
            } catch (EOFException e) {
                c.close();
                // a kept-alive socket the server closed while idle: the request again on a fresh one (infer is idempotent)
                if (reused && c.reader.atStart()) continue;
                String where = c.reader.atStart() ? " without a reply" : " inside its reply";
                throw failure(e, deadline, timeout, "closed the connection" + where);
            } catch (ProtocolException e) {
                c.close();
                if (System.nanoTime() - deadline >= 0) throw timedOut(timeout);
                throw new ProtocolException(e.code(), "OIP weights server " + name + ": " + e.getMessage(), e);
            } catch (IOException e) {
                c.close();
                if (reused && c.reader.atStart() && !(e instanceof SocketTimeoutException) && System.nanoTime() - deadline < 0) continue;
                throw failure(e, deadline, timeout, "broke the connection: " + e.getMessage());
            } finally {
                if (watch != null) watch.cancel(false);
            }
        }
    }

    private ProtocolException failure(IOException e, long deadline, Duration timeout, String what) {
        if (e instanceof SocketTimeoutException || System.nanoTime() - deadline >= 0) {
            return timedOut(timeout);
        }
        return new ProtocolException(ErrorCode.CLOSED, "OIP weights server " + name + " " + what, e);
    }

    private ProtocolException timedOut(Duration timeout) {
        return new ProtocolException(ErrorCode.TIMEOUT, "no reply from OIP weights server " + name + " within "
                + TcpServer.duration(timeout));
    }

    private byte[] head(String path, int headerLength, byte[] body) {
        for (int i = 0; i < path.length(); i++) {
            char ch = path.charAt(i);
            if (ch <= ' ' || ch >= 0x7f) throw new IllegalArgumentException("a path with a space or control character: " + path);
        }
        var s = new StringBuilder(160).append(body == null ? "GET " : "POST ").append(path).append(" HTTP/1.1\r\n");
        if (body != null) {
            s.append("Content-Type: application/octet-stream\r\nContent-Length: ").append(body.length).append("\r\n");
            if (headerLength >= 0) s.append("Inference-Header-Content-Length: ").append(headerLength).append("\r\n");
        }
        byte[] line = s.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(line, line.length + hostHeader.length + 2);
        System.arraycopy(hostHeader, 0, out, line.length, hostHeader.length);
        out[out.length - 2] = '\r';
        out[out.length - 1] = '\n';
        return out;
    }

    private Conn open(long deadline, Duration timeout) {
        Socket socket = new Socket();
        boolean handshaking = false;
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            if (tls != null) {
                var ssl = (SSLSocket) tls.getSocketFactory().createSocket(socket, host, port, true);
                Tls.configure(ssl); // TLS 1.3 only; the certificate must name the host dialled
                ssl.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                handshaking = true;
                ssl.startHandshake();
                socket = ssl;
            }
            return new Conn(socket);
        } catch (SSLException e) {
            closeQuietly(socket);
            throw new ProtocolException(ErrorCode.CLOSED, "TLS handshake with OIP weights server " + name + " failed: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            closeQuietly(socket);
            if (e instanceof SocketTimeoutException) throw timedOut(timeout);
            throw new ProtocolException(ErrorCode.CLOSED, (handshaking ? "OIP weights server " + name + " broke off the TLS handshake: "
                    : "cannot connect to OIP weights server " + name + ": ") + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Conn c; (c = idle.pollFirst()) != null; ) c.close();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** One kept-alive socket: its deadline-bound input (every read waits at most what is left) and its reply reader. */
    private static final class Conn {
        final Socket socket;
        final OutputStream out;
        final ReplyReader reader;
        volatile long deadline;

        Conn(Socket socket) throws IOException {
            this.socket = socket;
            this.out = new java.io.BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            InputStream raw = socket.getInputStream();
            this.reader = new ReplyReader(new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0) throw new SocketTimeoutException("the deadline passed");
                    socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
                    return raw.read(b, off, len);
                }
            });
        }

        void close() {
            closeQuietly(socket);
        }
    }

    /**
     * Reads replies one after another from a stream, strictly. Each {@link #next} returns one reply or fails with a
     * one-line {@link ProtocolException} (or {@link IOException}: {@link EOFException} where the stream ends).
     */
    public static final class ReplyReader {
        private final InputStream in;
        private final byte[] buf = new byte[8192];
        private int pos, lim, headBytes;
        private long consumed, replyStart;

        public ReplyReader(InputStream in) {
            this.in = in;
        }

        /** Whether bytes past the last reply were already read (a server that sent what was not asked for). */
        public boolean leftover() {
            return pos < lim;
        }

        /** Whether nothing of the current reply has arrived yet. */
        boolean atStart() {
            return consumed == replyStart;
        }

        /** The next reply, its body at most {@code most} bytes. */
        public Reply next(long most) throws IOException {
            replyStart = consumed;
            headBytes = 0;
            fill();
            if (buf[pos] == 0x15 || buf[pos] == 0x16) throw bad("it answered in TLS, not HTTP (an oips:// server?)");
            String status = line();
            boolean http10 = status.startsWith("HTTP/1.0 ");
            if (!http10 && !status.startsWith("HTTP/1.1 ")) throw bad("it did not answer in HTTP/1.1");
            if (status.length() < 12 || (status.length() > 12 && status.charAt(12) != ' ')) throw bad("a malformed status line");
            int code = 0;
            for (int i = 9; i < 12; i++) {
                char ch = status.charAt(i);
                if (ch < '0' || ch > '9') throw bad("a malformed status line");
                code = code * 10 + ch - '0';
            }
            if (code < 200 || code > 599) throw bad("status " + code + " was not expected (nothing asked for an interim or other reply)");
            var headers = new LinkedHashMap<String, String>();
            headers(headers, true);
            String te = headers.get("transfer-encoding"), cl = headers.get("content-length");
            byte[] body;
            if (code == 204 || code == 304) {
                body = new byte[0];
            } else if (te != null) {
                if (cl != null) throw bad("both Content-Length and Transfer-Encoding");
                if (!te.equalsIgnoreCase("chunked")) throw bad("Transfer-Encoding '" + te + "' is not supported (only chunked)");
                body = chunked(most, headers);
            } else if (cl != null) {
                long length = number(cl, 10, 18, "Content-Length");
                if (length > most) {
                    throw new ProtocolException(ErrorCode.TOO_LARGE, "it announced a reply of " + length + " bytes; at most " + most
                            + " were asked for");
                }
                body = new byte[(int) Math.min(length, 1 << 16)];
                body = bytes(body, 0, (int) length);
            } else {
                throw bad("a reply without Content-Length or chunks (a body up to the connection's close is not read)");
            }
            String connection = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
            boolean keepAlive = !http10 && !connection.contains("close");
            return new Reply(code, headers, body, keepAlive, 0, consumed - replyStart);
        }

        private void headers(Map<String, String> headers, boolean repeatsRefused) throws IOException {
            for (String l; !(l = line()).isEmpty(); ) {
                int colon = l.indexOf(':');
                if (colon <= 0) throw bad("a malformed header line");
                for (int i = 0; i < colon; i++) {
                    char ch = l.charAt(i);
                    boolean token = ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9';
                    if (!token && "!#$%&'*+-.^_`|~".indexOf(ch) < 0) {
                        throw bad("a malformed header name");
                    }
                }
                String key = l.substring(0, colon).toLowerCase(Locale.ROOT), value = l.substring(colon + 1).strip();
                String before = headers.get(key);
                if (before != null && repeatsRefused && (key.equals("content-length") || key.equals("transfer-encoding"))) {
                    throw bad("a repeated " + key + " header");
                }
                headers.put(key, before == null ? value : before + ", " + value);
            }
        }

        private byte[] chunked(long most, Map<String, String> headers) throws IOException {
            byte[] body = new byte[1024];
            int length = 0;
            while (true) {
                headBytes = MAX_HEAD - CHUNK_LINE; // a size line (with any extensions) of at most CHUNK_LINE bytes, however many chunks
                String l = line();
                int end = l.indexOf(';');
                long size = number(end < 0 ? l : l.substring(0, end), 16, 8, "chunk size");
                if (size == 0) break;
                if (length + size > most) throw new ProtocolException(ErrorCode.TOO_LARGE, "it sent a reply of over " + most + " bytes");
                body = bytes(body, length, (int) (length + size));
                length += (int) size;
                if (!line().isEmpty()) throw bad("a chunk longer than its size");
            }
            headBytes = 0;
            headers(new LinkedHashMap<>(), false); // trailers: read, bounded as a head, dropped
            return Arrays.copyOf(body, length);
        }

        /** {@code into}[from, to) from the stream, the array grown (at most doubled) as bytes arrive. */
        private byte[] bytes(byte[] into, int from, int to) throws IOException {
            for (int at = from; at < to; ) {
                if (pos == lim) fill();
                if (into.length < to && at == into.length) into = Arrays.copyOf(into, (int) Math.min(to, 2L * into.length + 1024));
                int n = Math.min(Math.min(lim - pos, to - at), into.length - at);
                System.arraycopy(buf, pos, into, at, n);
                pos += n;
                consumed += n;
                at += n;
            }
            return into.length == to ? into : Arrays.copyOf(into, to);
        }

        private static long number(String s, int radix, int digits, String what) {
            if (s.isEmpty() || s.length() > digits) throw bad("a malformed " + what);
            long v = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                int d = c < 0x80 ? Character.digit(c, radix) : -1;
                if (d < 0) throw bad("a malformed " + what);
                v = v * radix + d;
            }
            return v;
        }

        /** One line ending in CRLF, without it; the head's bytes bounded by {@link #MAX_HEAD}; no control characters. */
        private String line() throws IOException {
            var s = new StringBuilder(64);
            while (true) {
                if (pos == lim) fill();
                int b = buf[pos++] & 0xff;
                consumed++;
                if (++headBytes > MAX_HEAD) throw new ProtocolException(ErrorCode.TOO_LARGE, "a reply head over " + MAX_HEAD + " bytes");
                if (b == '\r') {
                    if (pos == lim) fill();
                    consumed++;
                    headBytes++;
                    if (buf[pos++] != '\n') throw bad("a CR without LF");
                    return s.toString();
                }
                if (b == '\n') throw bad("a line ending in LF alone");
                if (b < ' ' && b != '\t' || b == 0x7f) throw bad("a control character in the head");
                s.append((char) b);
            }
        }

        private void fill() throws IOException {
            if (pos < lim) return;
            int n = in.read(buf, 0, buf.length);
            if (n < 0) throw new EOFException("the stream ended");
            if (n == 0) throw new IOException("a read of no bytes");
            pos = 0;
            lim = n;
        }

        private static ProtocolException bad(String why) {
            return new ProtocolException(ErrorCode.BAD_FRAME, "malformed reply: " + why);
        }
    }
}
