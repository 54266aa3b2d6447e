package dev.veil.protocol.transport;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Frame;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

/**
 * A TCP (or TLS) connection to a weights server. Requests from many threads share it: each frame carries a
 * request id and a reader thread hands every reply to its caller. A call with no reply within the timeout,
 * or a broken connection, fails every call in flight and closes the channel (a peer that does not answer is
 * treated as dead; the caller may reconnect).
 */
public final class TcpChannel implements Channel {
    /** First byte of a TLS record: what a plaintext client reads from a TLS server. */
    private static final int TLS_HANDSHAKE = 0x16, TLS_ALERT = 0x15;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String name;
    private final Duration timeout;
    private final int maxPayload;
    private final Traffic traffic = new Traffic();
    private final ConcurrentHashMap<Integer, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile ProtocolException failure;

    private TcpChannel(Socket socket, String name, Duration timeout, int maxPayload) throws IOException {
        this.socket = socket;
        this.name = name;
        this.timeout = timeout;
        this.maxPayload = maxPayload;
        this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        Thread.ofPlatform().daemon().name("veil-channel-" + name).start(this::readReplies);
    }

    @Override
    public String peer() {
        return "weights server " + name;
    }

    /**
     * Connects, over mutual TLS 1.3 when {@code tls} is given ({@link Tls#context}: the server's certificate
     * must match {@code host} and the role the context expects).
     */
    public static TcpChannel connect(String host, int port, SSLContext tls, Duration timeout) {
        String name = host + ":" + port;
        Socket socket = null;
        boolean handshaking = false;
        try {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            socket.connect(new InetSocketAddress(host, port), (int) Math.min(timeout.toMillis(), 10_000));
            socket.setSoTimeout((int) Math.min(timeout.toMillis(), Integer.MAX_VALUE));
            if (tls != null) {
                var ssl = (SSLSocket) tls.getSocketFactory().createSocket(socket, host, port, true);
                Tls.configure(ssl); // TLS 1.3 only; the certificate must name the host dialled
                handshaking = true;
                ssl.startHandshake();
                socket = ssl;
                if (ssl.getSession().getLocalCertificates() == null) {
                    throw new SSLException("this end presented no certificate, and a Veil server requires one");
                }
            }
            return new TcpChannel(socket, name, timeout, Frame.DEFAULT_MAX_PAYLOAD);
        } catch (SSLException e) {
            closeQuietly(socket);
            throw new ProtocolException(ErrorCode.CLOSED, "TLS handshake with weights server " + name + " failed: " + e.getMessage(), e);
        } catch (java.net.UnknownHostException e) {
            closeQuietly(socket);
            throw new ProtocolException(ErrorCode.CLOSED, "cannot connect to weights server " + name + ": unknown host '" + host + "'", e);
        } catch (IOException e) {
            closeQuietly(socket);
            if (handshaking) {
                throw new ProtocolException(ErrorCode.CLOSED, "weights server " + name
                        + " broke off the TLS handshake (it did not accept this end's certificate?): " + e.getMessage(), e);
            }
            throw new ProtocolException(ErrorCode.CLOSED, "cannot connect to weights server " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Message exchange(Message request) {
        if (failure != null) throw failure;
        int id = ids.incrementAndGet();
        var reply = new CompletableFuture<Frame>();
        pending.put(id, reply);
        // The watchdog also frees a caller stuck writing to a peer that stopped reading: fail() closes the socket.
        reply.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((f, e) -> {
            if (e instanceof TimeoutException) fail(timedOut());
        });
        Frame frame = Frame.of(id, request);
        try {
            synchronized (out) {
                frame.write(out);
            }
            traffic.sent(frame.size());
        } catch (IOException e) {
            // Under TLS the reader is about to report why (the server's alert); else fail now.
            if (!(socket instanceof SSLSocket)) {
                fail(new ProtocolException(ErrorCode.CLOSED, "connection to weights server " + name + " broke: " + e.getMessage(), e));
            }
        }
        try {
            Frame back = reply.join();
            traffic.received(back.size());
            return back.message();
        } catch (CompletionException e) {
            if (e.getCause() instanceof TimeoutException) {
                fail(timedOut());
                throw timedOut();
            }
            throw e.getCause() instanceof ProtocolException p ? p : new ProtocolException(ErrorCode.CLOSED, e.getCause().getMessage());
        } finally {
            pending.remove(id);
        }
    }

    private ProtocolException timedOut() {
        return new ProtocolException(ErrorCode.TIMEOUT, "no reply from weights server " + name + " within "
                + (timeout.toMillis() >= 1000 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms"));
    }

    private void readReplies() {
        try {
            if (!(socket instanceof SSLSocket)) {
                int first = peek();
                if (first == TLS_ALERT || first == TLS_HANDSHAKE) {
                    fail(new ProtocolException(ErrorCode.CLOSED, "weights server " + name + " speaks TLS: connect with --tls-dir"));
                    return;
                }
            }
            while (true) {
                Frame f = Frame.read(in, maxPayload);
                if (f == null) {
                    fail(new ProtocolException(ErrorCode.CLOSED, "weights server " + name + " closed the connection"));
                    return;
                }
                var waiting = pending.remove(f.requestId());
                if (waiting != null) {
                    waiting.complete(f);
                } else if (f.requestId() == 0) { // an error about the connection itself
                    var m = f.message();
                    String text = m instanceof Message.Error e ? e.text() : "unexpected " + m.getClass().getSimpleName();
                    fail(new ProtocolException(m instanceof Message.Error e ? e.code() : ErrorCode.BAD_FRAME, "weights server " + name + ": " + text));
                    return;
                }
            }
        } catch (ProtocolException e) {
            fail(new ProtocolException(e.code(), "weights server " + name + ": " + e.getMessage(), e));
        } catch (SSLException e) {
            fail(new ProtocolException(ErrorCode.CLOSED, "weights server " + name + " refused the TLS session: " + e.getMessage(), e));
        } catch (IOException e) {
            fail(new ProtocolException(ErrorCode.CLOSED, "connection to weights server " + name + " broke: " + e.getMessage(), e));
        }
    }

    /** The first byte the server sends, waiting as long as it stays idle; -1 at the end of the stream. */
    private int peek() throws IOException {
        while (true) {
            try {
                in.mark(1);
                int first = in.read();
                in.reset();
                return first;
            } catch (java.net.SocketTimeoutException e) {
                // idle between frames is fine: calls time out on their own
            }
        }
    }

    private void fail(ProtocolException e) {
        synchronized (this) {
            if (failure != null) return;
            failure = e;
        }
        closeQuietly(socket);
        pending.values().forEach(f -> f.completeExceptionally(e));
        pending.clear();
    }

    @Override
    public Traffic traffic() { return traffic; }

    /** The certificate this end presented over TLS (its key is the one attestation evidence binds), or null. */
    public X509Certificate localCertificate() {
        if (!(socket instanceof SSLSocket ssl)) return null;
        var certs = ssl.getSession().getLocalCertificates();
        return certs == null ? null : (X509Certificate) certs[0];
    }

    @Override
    public void close() {
        fail(new ProtocolException(ErrorCode.CLOSED, "channel to weights server " + name + " is closed"));
    }

    private static void closeQuietly(Socket s) {
        try {
            if (s != null) s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
