package dev.veil.protocol.transport;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Frame;
import dev.veil.protocol.Message;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * Serves a {@link Service} over TCP, or over mutual TLS 1.3 when a context is given ({@link Tls}: a peer that
 * does not complete the handshake with a valid certificate of the expected role gets nothing but the TLS alert,
 * not one frame), within {@link ServerLimits}: each
 * {@link Connection} has a reader and a writer thread (platform threads: one wakes straight from its blocking
 * read, where a virtual thread needs the poller and then a carrier, which doubled the loopback round trip), so
 * threads are bounded by the connection limit. Replies are written as they complete, in any order, and never
 * by the thread that computed them. A malformed message gets an ERROR reply and the connection goes on; a frame
 * that breaks the stream (bad magic, another version, over the size limit, past its deadline) gets an ERROR and
 * the connection is closed. A reaper thread drops peers that do not read their replies.
 */
public final class TcpServer implements AutoCloseable {
    /** Requests one connection may have pending at once; beyond it the server stops reading that connection. */
    public static final int MAX_IN_FLIGHT = 256;

    private final ServerSocket listener;
    final Service service;
    final ServerLimits limits;
    final ByteBudget budget;
    final ServerMetrics metrics = new ServerMetrics();
    private final Consumer<String> log;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private TcpServer(ServerSocket listener, Service service, ServerLimits limits, ByteBudget budget, Consumer<String> log) {
        this.listener = listener;
        this.service = service;
        this.limits = limits;
        this.log = log;
        this.budget = budget;
        metrics.open = connections::size;
        metrics.heldBytes = budget::used;
        metrics.heldLimit = limits::totalBytes;
        metrics.waiting = budget::waiting;
        metrics.backlogged = () -> connections.stream().filter(c -> c.peer.backlogged()).count();
        Thread.ofPlatform().daemon().name("veil-accept-" + listener.getLocalPort()).start(this::acceptLoop);
        Thread.ofPlatform().daemon().name("veil-reaper-" + listener.getLocalPort()).start(this::reap);
    }

    /** Listens on {@code host:port} (port 0 picks a free one); logs connection events to {@code log}. */
    public static TcpServer start(Service service, String host, int port, SSLContext tls, ServerLimits limits, Consumer<String> log)
            throws IOException {
        return start(service, host, port, tls, limits, ByteBudget.of(limits, 1), log);
    }

    /** As above, holding its peers' bytes against {@code budget}, shared with the server's other ports ({@link ByteBudget#of}). */
    public static TcpServer start(Service service, String host, int port, SSLContext tls, ServerLimits limits, ByteBudget budget,
            Consumer<String> log) throws IOException {
        return new TcpServer(listen(host, port, tls, "cannot listen on "), service, limits, budget, log);
    }

    /**
     * A listening socket on {@code host:port} (0: any free port), mutual TLS 1.3 when {@code tls} is given; {@code what} opens the
     * one-line error ("cannot listen on ").
     */
    public static ServerSocket listen(String host, int port, SSLContext tls, String what) throws IOException {
        try {
            InetAddress address = InetAddress.getByName(host);
            if (tls == null) return new ServerSocket(port, 64, address);
            var secure = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(port, 64, address);
            Tls.configure(secure); // TLS 1.3 only, client certificate required
            return secure;
        } catch (java.net.UnknownHostException e) {
            throw new IOException(what + host + ":" + port + ": unknown host '" + host + "'", e);
        } catch (java.net.BindException e) {
            throw new IOException(what + host + ":" + port + ": " + e.getMessage()
                    + (port != 0 && "Address already in use".equals(e.getMessage()) ? " (port " + port + " is taken)" : ""), e);
        }
    }

    /** Listens with {@code limits}, logging connection events to standard error. */
    public static TcpServer start(Service service, String host, int port, SSLContext tls, ServerLimits limits) throws IOException {
        return start(service, host, port, tls, limits, line -> System.err.println("veil weights-server: " + line));
    }

    /**
     * Listens with the default limits but {@code maxPayload} and a frame deadline of {@code stall}.
     *
     * @param stall how long a peer may take to send a whole frame once it has begun
     */
    public static TcpServer start(Service service, String host, int port, SSLContext tls, int maxPayload, Duration stall) throws IOException {
        return start(service, host, port, tls, ServerLimits.defaults().withMaxPayload(maxPayload).withFrameDeadline(stall));
    }

    public static TcpServer start(Service service, String host, int port, SSLContext tls) throws IOException {
        return start(service, host, port, tls, ServerLimits.defaults());
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Connection counters for a metrics endpoint. */
    public ServerMetrics metrics() {
        return metrics;
    }

    void log(String line) {
        try {
            log.accept(line);
        } catch (RuntimeException ignored) {
            // a broken log must not break serving
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s = null;
            try {
                s = listener.accept();
                metrics.accepted.increment();
                if (connections.size() >= limits.maxConnections()) {
                    metrics.refuse("connections");
                    log("refused " + s.getRemoteSocketAddress() + ": " + limits.maxConnections() + " connections open");
                    refuse(s);
                    continue;
                }
                var c = new Connection(this, s);
                connections.add(c);
                log(c.peer + " accepted");
                c.start();
            } catch (IOException e) {
                if (!closed) log("accept failed: " + e.getMessage());
            } catch (RuntimeException | Error e) { // e.g. no thread for the connection: refuse it, keep accepting
                if (s != null) {
                    metrics.refuse("server_error");
                    close(s);
                    Socket failed = s;
                    connections.removeIf(c -> c.socket == failed);
                }
                if (!closed) log("accept failed: " + e);
                pause();
            }
        }
    }

    /** Tells a plain-TCP peer why (a TLS peer would need a handshake first), then closes. */
    private void refuse(Socket s) {
        if (!(s instanceof SSLSocket)) {
            try {
                s.setSoTimeout(1000);
                OutputStream out = s.getOutputStream();
                Frame.of(0, new Message.Error(ErrorCode.BUSY, "the weights server has " + limits.maxConnections()
                        + " connections open; retry later")).write(out);
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
        }
        close(s);
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Drops peers whose replies have waited longer than the write deadline to be read, or that never greet. */
    private void reap() {
        while (!closed) {
            try {
                Thread.sleep(Math.max(1, limits.tick().toMillis()));
                long now = System.nanoTime();
                for (Connection c : connections) {
                    if (c.writeOverdue(now)) c.kill("write_deadline", "did not read its replies within " + duration(limits.writeDeadline()));
                    if (c.greetingOverdue(now)) c.kill("greeting_deadline", "no HELLO within " + duration(limits.greetingDeadline()));
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log("reaper: " + e);
            }
        }
    }

    void closed(Connection c) {
        connections.remove(c);
        try {
            service.disconnected(c.peer);
        } catch (RuntimeException e) {
            log(c.peer + ": cleanup failed: " + e);
        }
    }

    static String duration(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Connection c : connections) {
            c.drop("shutdown", "server shutting down");
            c.closeSocket();
        }
    }
}
