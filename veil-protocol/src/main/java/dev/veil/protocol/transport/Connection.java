package dev.veil.protocol.transport;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Frame;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;

/**
 * One peer on a {@link TcpServer}: a reader thread that takes frames within their deadlines and hands requests
 * to the service, and a writer thread that sends replies from an outbox. Shared work (a batcher) only ever
 * puts a reply in the outbox, so a peer that does not read stalls nobody but itself; the server's reaper
 * drops it once a write has taken longer than the write deadline. Every request holds its payload and the
 * bound of its reply against the server's memory budget until the reply is written.
 */
final class Connection {
    /** A frame to send, the bytes it holds against the budget, and whether it answers a call in flight. */
    private record Out(Frame frame, long held, boolean call) {}

    private static final Out END = new Out(null, 0, false);

    final Peer peer;
    final Socket socket;
    private final TcpServer server;
    private final ServerLimits limits;
    private final LinkedBlockingQueue<Out> outbox = new LinkedBlockingQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final long acceptedAt = System.nanoTime();
    private long lastFrameAt = acceptedAt, frameStart;
    private volatile long writingSince;
    private volatile boolean closing;
    private boolean writerDone; // guarded by outbox
    private volatile String dropReason;
    /** Bytes this connection holds against the budget; guarded by the budget's lock. */
    long held;

    Connection(TcpServer server, Socket socket) {
        this.server = server;
        this.limits = server.limits;
        this.socket = socket;
        this.peer = new Peer(String.valueOf(socket.getRemoteSocketAddress()));
    }

    void start() {
        Thread.ofPlatform().daemon().name("veil-conn-" + peer.id()).start(this::read);
    }

    /** The reader: frames in, requests to the service, until the peer leaves, breaks the stream or times out. */
    private void read() {
        Thread writer = null;
        Message.Error last = null;
        try {
            socket.setTcpNoDelay(true);
            if (socket instanceof SSLSocket tls) {
                socket.setSoTimeout((int) limits.greetingDeadline().toMillis());
                tls.startHandshake(); // before a single byte of a frame is read
                peer.authenticated((java.security.cert.X509Certificate) tls.getSession().getPeerCertificates()[0]);
            }
            socket.setSoTimeout((int) Math.max(1, limits.tick().toMillis()));
            InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            writer = Thread.ofPlatform().daemon().name("veil-conn-" + peer.id() + "-out").start(() -> write(out));
            while (awaitRoom()) {
                Frame f;
                try {
                    f = next(in);
                } catch (ProtocolException e) {
                    last = new Message.Error(e.code(), e.getMessage());
                    drop(reason(e), e.getMessage());
                    break;
                }
                if (f == null) {
                    server.log(peer + " left");
                    break;
                }
                handle(f);
            }
        } catch (IOException e) {
            if (dropReason == null) server.log(peer + " closed" + (e instanceof EOFException ? " inside a frame" : ": " + e.getMessage()));
        } catch (RuntimeException | Error e) {
            server.log(peer + " failed: " + e);
        } finally {
            closing = true;
            peer.close();
            if (last != null) enqueue(new Out(Frame.of(0, last), 0, false));
            enqueue(END);
            if (writer == null) {
                closeSocket();
                synchronized (outbox) {
                    writerDone = true;
                }
            }
            server.closed(this);
        }
    }

    /** Waits while this connection has as many calls pending as it may; false once it is closing. */
    private boolean awaitRoom() throws InterruptedIOException {
        while (inFlight.get() >= TcpServer.MAX_IN_FLIGHT) {
            if (closing || socket.isClosed()) return false;
            sleep();
        }
        return !closing && !socket.isClosed();
    }

    private void sleep() throws InterruptedIOException {
        try {
            Thread.sleep(Math.max(1, limits.tick().toMillis() / 4));
        } catch (InterruptedException e) {
            throw new InterruptedIOException();
        }
    }

    /** The next whole frame, its payload held against the budget; null when the peer closed between frames. */
    private Frame next(InputStream in) throws IOException {
        byte[] h = new byte[Frame.HEADER_BYTES];
        int first;
        while (true) {
            try {
                first = in.read();
                break;
            } catch (SocketTimeoutException e) {
                checkIdle();
            }
        }
        if (first < 0) return null;
        h[0] = (byte) first;
        frameStart = System.nanoTime();
        for (int done = 1; done < h.length; ) {
            int r;
            try {
                r = in.read(h, done, h.length - done);
            } catch (SocketTimeoutException e) {
                checkFrame();
                continue;
            }
            if (r < 0) throw new EOFException("connection closed inside a frame");
            done += r;
            checkFrame();
        }
        Frame.Header header = Frame.header(h);
        boolean greeted = peer.greeted();
        int limit = greeted ? limits.maxPayload() : limits.greetingPayload();
        if (header.length() > limit) {
            throw new ProtocolException(ErrorCode.TOO_LARGE, greeted
                    ? "frame of " + header.length() + " bytes exceeds the limit of " + limit
                    : "frame of " + header.length() + " bytes before HELLO; at most " + limit + " bytes until the peer has greeted");
        }
        int length = (int) header.length();
        if (!server.budget.acquire(this, length, Long.MAX_VALUE)) throw new EOFException("closing");
        frameStart = System.nanoTime(); // waiting for memory is the server's doing, not the peer's
        boolean ok = false;
        try {
            byte[] payload = Frame.readPayload(in, length, timedOut -> checkFrame());
            ok = true;
            lastFrameAt = System.nanoTime();
            server.metrics.framesIn.increment();
            server.metrics.bytesIn.add(Frame.HEADER_BYTES + (long) length);
            return new Frame(header.type(), header.requestId(), payload);
        } finally {
            frameStart = 0;
            if (!ok) server.budget.release(this, length);
        }
    }

    private void checkFrame() throws IOException {
        if (closing || socket.isClosed()) throw new EOFException("closing");
        long ms = limits.frameDeadline().toMillis();
        if (System.nanoTime() - frameStart > ms * 1_000_000L) {
            throw new ProtocolException(ErrorCode.TIMEOUT, "frame not complete within " + TcpServer.duration(limits.frameDeadline()));
        }
    }

    private void checkIdle() throws IOException {
        if (closing || socket.isClosed()) throw new EOFException("closing");
        long now = System.nanoTime();
        if (!peer.greeted() && now - acceptedAt > limits.greetingDeadline().toNanos()) {
            throw new ProtocolException(ErrorCode.TIMEOUT, "no HELLO within " + TcpServer.duration(limits.greetingDeadline()));
        }
        if (inFlight.get() == 0 && outbox.isEmpty() && now - lastFrameAt > limits.idleTimeout().toNanos()) {
            throw new ProtocolException(ErrorCode.TIMEOUT, "idle for " + TcpServer.duration(limits.idleTimeout()));
        }
    }

    private void handle(Frame f) throws IOException {
        int id = f.requestId();
        long held = f.payload().length;
        Message request;
        try {
            request = f.message();
        } catch (ProtocolException e) {
            reply(id, new Message.Error(e.code(), e.getMessage()), held, false);
            return;
        }
        long bound;
        try {
            bound = Math.max(0, server.service.replyBound(request));
        } catch (RuntimeException e) {
            reply(id, Service.error(e), held, false);
            return;
        }
        if (bound > limits.maxPayload()) {
            reply(id, new Message.Error(ErrorCode.TOO_LARGE, "the reply would take " + bound + " bytes, over the limit of "
                    + limits.maxPayload() + "; send fewer rows per call"), held, false);
            return;
        }
        if (!server.budget.acquire(this, bound, limits.tick().toNanos() * 4)) {
            reply(id, new Message.Error(ErrorCode.BUSY, "the weights server is at its memory bound; retry later"), held, false);
            return;
        }
        long total = held + bound;
        inFlight.incrementAndGet();
        Service.answer(server.service, peer, request).whenComplete((reply, e) -> {
            Message m = reply != null ? reply : Service.error(e);
            if (request instanceof Message.Hello) greeting(m);
            reply(id, m, total, true);
        });
    }

    private void greeting(Message reply) {
        if (reply instanceof Message.Error e) {
            server.metrics.refuse("hello");
            server.log(peer + " refused at HELLO: " + e.code() + ": " + e.text());
        } else if (peer.greeted()) {
            server.metrics.greeted.increment();
            server.log(peer + " greeted" + (peer.attestationNote() == null ? "" : ": " + peer.attestationNote()));
        }
    }

    /** Queues a reply (never blocks: the caller may be shared work); past the announced limit it becomes an error. */
    private void reply(int id, Message reply, long held, boolean call) {
        Frame frame;
        try {
            frame = Frame.of(id, reply);
            if (frame.payload().length > limits.maxPayload()) {
                frame = Frame.of(id, new Message.Error(ErrorCode.TOO_LARGE, "the reply of " + frame.payload().length
                        + " bytes exceeds the limit of " + limits.maxPayload()));
            }
        } catch (RuntimeException e) {
            frame = Frame.of(id, new Message.Error(ErrorCode.SERVER_ERROR, "cannot encode the reply: " + e.getMessage()));
        }
        if (frame.type() == dev.veil.protocol.Codec.ERROR && frame.message() instanceof Message.Error err) server.metrics.error(err.code());
        enqueue(new Out(frame, held, call));
    }

    /** Hands a frame to the writer, or, once the writer has ended, lets go of what it holds. */
    private void enqueue(Out o) {
        synchronized (outbox) {
            if (!writerDone) {
                outbox.add(o);
                return;
            }
        }
        if (o != END) done(o);
    }

    /** The writer: replies out in completion order until the reader ends or a write fails. */
    private void write(OutputStream out) {
        try {
            while (true) {
                Out o = outbox.take();
                if (o == END) break;
                writingSince = System.nanoTime();
                try {
                    o.frame.write(out);
                } finally {
                    writingSince = 0;
                    done(o);
                }
                server.metrics.bytesOut.add(o.frame.size());
            }
        } catch (IOException | InterruptedException e) {
            // the peer went away, or the reaper closed it for not reading
        } finally {
            closing = true;
            closeSocket();
            synchronized (outbox) {
                writerDone = true;
            }
            for (Out o; (o = outbox.poll()) != null; ) if (o != END) done(o);
        }
    }

    private void done(Out o) {
        server.budget.release(this, o.held);
        if (o.call) inFlight.decrementAndGet();
    }

    boolean closing() {
        return closing;
    }

    /** Called by the reaper: true when the peer has not greeted well past the greeting deadline (a TLS handshake dripped byte by byte). */
    boolean greetingOverdue(long now) {
        return !peer.greeted() && now - acceptedAt > limits.greetingDeadline().toNanos() + 4 * limits.tick().toNanos();
    }

    /** Called by the reaper: true when a reply has been waiting on this peer longer than the write deadline. */
    boolean writeOverdue(long now) {
        long since = writingSince;
        return since != 0 && now - since > limits.writeDeadline().toNanos();
    }

    /** Ends the connection from outside (reaper, server close): both threads unblock on the closed socket. */
    void drop(String reason, String why) {
        if (dropReason == null) {
            dropReason = reason;
            server.metrics.drop(reason);
            server.log(peer + " dropped: " + why);
        }
        closing = true;
    }

    void kill(String reason, String why) {
        drop(reason, why);
        closeSocket();
    }

    private static String reason(ProtocolException e) {
        return switch (e.code()) {
            case TIMEOUT -> e.getMessage().startsWith("no HELLO") ? "greeting_deadline"
                    : e.getMessage().startsWith("idle") ? "idle" : "frame_deadline";
            case TOO_LARGE -> "too_large";
            case UNSUPPORTED_VERSION -> "version";
            default -> "bad_frame";
        };
    }

    void closeSocket() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
