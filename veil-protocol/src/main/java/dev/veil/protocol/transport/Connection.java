package dev.veil.protocol.transport;

import dev.veil.protocol.Codec;
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
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;

/**
 * One peer on a {@link TcpServer}: a reader thread that takes frames within their deadlines and hands requests
 * to the service, and a writer thread that sends replies from an outbox. Shared work (a batcher) only ever
 * puts a reply in the outbox, so a peer that does not read stalls nobody but itself; the server's reaper
 * drops it once a write has taken longer than the write deadline. Every byte a peer makes the server hold is held
 * against the server's {@link ByteBudget}: the request's buffer as it grows, its decoded values until it is answered,
 * and the bound of its reply (or the reply itself, if larger) until the reply is written. A connection that holds
 * all it may is not read until it holds less, so a peer that does not read its replies is not read either.
 */
final class Connection extends ByteBudget.Account {
    /** A message to send, the bytes it holds against the budget, and whether it answers a call in flight. */
    private record Out(int id, Message message, long held, boolean call) {}

    private static final Out END = new Out(0, null, 0, false);
    /** Bytes of replies that may wait unwritten (the one being written included) before the peer is {@link Peer#backlogged}. */
    static final long BACKLOG_BYTES = 16 << 20;
    /** Bytes of replies, computed or not, that may be pending before the peer is read no further. */
    static final long PENDING_BYTES = 64 << 20;

    final Peer peer;
    final Socket socket;
    private final TcpServer server;
    private final ServerLimits limits;
    private final LinkedBlockingQueue<Out> outbox = new LinkedBlockingQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong unwritten = new AtomicLong(), pending = new AtomicLong();
    private final long acceptedAt = System.nanoTime();
    private long lastFrameAt = acceptedAt, frameStart;
    private volatile long writingSince;
    private volatile boolean closing;
    private boolean writerDone; // guarded by outbox
    private volatile String dropReason;

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
            if (last != null) enqueue(new Out(0, last, 0, false));
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

    /**
     * Waits while this connection has as many calls or bytes of replies pending as it may (a peer that does not read
     * its replies is not read either), or holds as many bytes as it may; false once it is closing.
     */
    private boolean awaitRoom() throws InterruptedIOException {
        while (inFlight.get() >= TcpServer.MAX_IN_FLIGHT || pending.get() > PENDING_BYTES) {
            if (closing || socket.isClosed()) return false;
            sleep();
        }
        return server.budget.await(this, 1, 0, Long.MAX_VALUE) && !closing && !socket.isClosed();
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
        // a frame is begun when it could be held whole; it is held as it arrives, not as announced
        if (!server.budget.await(this, length, 0, Long.MAX_VALUE)) throw new EOFException("closing");
        frameStart = System.nanoTime(); // waiting for memory is the server's doing, not the peer's
        var memory = new FrameMemory();
        boolean ok = false;
        try {
            byte[] payload = Frame.readPayload(in, length, timedOut -> checkFrame(), memory);
            ok = true;
            lastFrameAt = System.nanoTime();
            server.metrics.framesIn.increment();
            server.metrics.bytesIn.add(Frame.HEADER_BYTES + (long) length);
            return new Frame(header.type(), header.requestId(), payload);
        } finally {
            frameStart = 0;
            if (!ok) server.budget.release(this, memory.held);
        }
    }

    /** A payload's buffers, held as they grow; waiting for room counts against the frame's deadline. */
    private final class FrameMemory implements Frame.Memory {
        long held;

        @Override
        public void take(long bytes) throws IOException {
            long left = limits.frameDeadline().toNanos() - (System.nanoTime() - frameStart);
            if (!server.budget.acquire(Connection.this, bytes, held, Math.max(0, left))) {
                checkFrame();
                throw new EOFException("closing");
            }
            held += bytes;
        }

        @Override
        public void give(long bytes) {
            server.budget.release(Connection.this, bytes);
            held -= bytes;
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

    private void handle(Frame f) {
        int id = f.requestId();
        long payload = f.payload().length, values = 2 * payload + 64, wait = limits.tick().toNanos() * 4;
        // decoding holds the values beside the payload: at most twice its bytes (ring elements are held as longs)
        if (!server.budget.acquire(this, values, payload, wait)) {
            server.budget.release(this, payload);
            reply(id, BUSY, 0, false);
            return;
        }
        Message request;
        try {
            request = f.message();
        } catch (ProtocolException e) {
            server.budget.release(this, payload + values);
            reply(id, new Message.Error(e.code(), e.getMessage()), 0, false);
            return;
        }
        long decoded = Math.min(values, held(request));
        server.budget.release(this, payload + values - decoded); // the payload is dropped once decoded
        long bound, hold;
        try {
            bound = Math.max(0, server.service.replyBound(request));
            hold = Math.max(bound, server.service.heldBound(request));
        } catch (RuntimeException e) {
            server.budget.release(this, decoded);
            reply(id, Service.error(e), 0, false);
            return;
        }
        if (bound > limits.maxPayload()) {
            server.budget.release(this, decoded);
            reply(id, new Message.Error(ErrorCode.TOO_LARGE, "the reply would take " + bound + " bytes, over the limit of "
                    + limits.maxPayload() + "; send fewer rows per call"), 0, false);
            return;
        }
        if (!server.budget.acquire(this, hold, decoded, wait)) {
            server.budget.release(this, decoded);
            reply(id, BUSY, 0, false);
            return;
        }
        inFlight.incrementAndGet();
        pending.addAndGet(hold);
        Service.answer(server.service, peer, request).whenComplete((reply, e) -> {
            Message m = reply != null ? reply : Service.error(e);
            if (request instanceof Message.Hello) greeting(m);
            long extra = Math.max(0, held(m) - hold); // a reply larger than its bound (or unbounded) is held as it is
            if (extra > 0) {
                server.budget.force(this, extra);
                pending.addAndGet(extra);
            }
            server.budget.release(this, decoded); // the request is done with
            reply(id, m, hold + extra, true);
        });
    }

    private static final Message.Error BUSY = new Message.Error(ErrorCode.BUSY, "the weights server is at its memory bound; retry later");

    /** Bytes {@code m} takes in memory: its values (ring elements as longs), or its encoded size. */
    static long held(Message m) {
        return switch (m) {
            case Message.Linear l -> 64 + l.input().heldBytes();
            case Message.Setup s -> 64 + s.base().heldBytes();
            case Message.Decode d -> 64 + d.hidden().heldBytes();
            case Message.LinearReply l -> 64 + l.output().heldBytes();
            case Message.DecodeReply d -> 64 + d.hidden().heldBytes();
            case Message.SetupReply s -> 64 + s.restoration().heldBytes() + 4L * s.rowScales().length;
            default -> 64 + Codec.size(m);
        };
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

    /**
     * Queues a reply (never blocks, nor encodes a large one: the caller may be shared work; the writer streams it out);
     * past the announced limit it becomes an error.
     */
    private void reply(int id, Message reply, long held, boolean call) {
        try {
            long size = Codec.size(reply);
            if (size > limits.maxPayload()) {
                reply = new Message.Error(ErrorCode.TOO_LARGE, "the reply of " + size + " bytes exceeds the limit of "
                        + limits.maxPayload());
            } else if (!Codec.streamed(reply)) {
                Codec.encode(reply); // a small message that cannot be encoded is found here, not halfway through its frame
            }
        } catch (RuntimeException e) {
            reply = new Message.Error(ErrorCode.SERVER_ERROR, "cannot encode the reply: " + e.getMessage());
        }
        if (reply instanceof Message.Error err) server.metrics.error(err.code());
        enqueue(new Out(id, reply, held, call));
    }

    /** Hands a frame to the writer, or, once the writer has ended, lets go of what it holds. */
    private void enqueue(Out o) {
        synchronized (outbox) {
            if (!writerDone) {
                if (o != END) unwritten(Codec.size(o.message));
                outbox.add(o);
                return;
            }
        }
        if (o != END) done(o);
    }

    private void unwritten(long bytes) {
        peer.backlogged(unwritten.addAndGet(bytes) > BACKLOG_BYTES);
    }

    /** The writer: replies out in completion order until the reader ends or a write fails. */
    private void write(OutputStream out) {
        try {
            while (true) {
                Out o = outbox.take();
                if (o == END) break;
                writingSince = System.nanoTime();
                try {
                    Frame.write(out, o.id, o.message);
                } finally {
                    writingSince = 0;
                    unwritten(-Codec.size(o.message));
                    done(o);
                }
                server.metrics.bytesOut.add(Frame.HEADER_BYTES + Codec.size(o.message));
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
        if (o.call) {
            pending.addAndGet(-o.held);
            inFlight.decrementAndGet();
        }
    }

    @Override
    protected boolean closing() {
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
