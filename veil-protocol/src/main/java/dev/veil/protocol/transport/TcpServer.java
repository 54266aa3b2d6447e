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
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;

/**
 * Serves a {@link Service} over TCP (TLS when a context is given). Each connection gets a platform thread that
 * reads frames and hands requests to the service (a platform thread wakes straight from its blocking read; a
 * virtual thread needs the poller and then a carrier, which doubled the loopback round trip); replies are
 * written as they complete, in any order. A
 * malformed message gets an ERROR reply and the connection goes on; a frame that breaks the stream (bad
 * magic, another version, over the size limit, stalled halfway) gets an ERROR and the connection is closed.
 */
public final class TcpServer implements AutoCloseable {
    /** Requests one connection may have pending at once; beyond it the server stops reading that connection. */
    public static final int MAX_IN_FLIGHT = 256;

    private final ServerSocket listener;
    private final Service service;
    private final int maxPayload;
    private final int stallMillis;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private TcpServer(ServerSocket listener, Service service, int maxPayload, Duration stall) {
        this.listener = listener;
        this.service = service;
        this.maxPayload = maxPayload;
        this.stallMillis = (int) stall.toMillis();
        Thread.ofPlatform().daemon().name("veil-accept-" + listener.getLocalPort()).start(this::acceptLoop);
    }

    /**
     * Listens on {@code host:port} (port 0 picks a free one).
     *
     * @param stall how long a peer may pause inside a frame before the connection is dropped
     */
    public static TcpServer start(Service service, String host, int port, SSLContext tls, int maxPayload, Duration stall) throws IOException {
        ServerSocket listener;
        try {
            InetAddress address = InetAddress.getByName(host);
            listener = tls == null ? new ServerSocket(port, 64, address)
                    : tls.getServerSocketFactory().createServerSocket(port, 64, address);
        } catch (java.net.UnknownHostException e) {
            throw new IOException("cannot listen on " + host + ":" + port + ": unknown host '" + host + "'", e);
        } catch (java.net.BindException e) {
            throw new IOException("cannot listen on " + host + ":" + port + ": " + e.getMessage()
                    + (port != 0 && "Address already in use".equals(e.getMessage()) ? " (port " + port + " is taken)" : ""), e);
        }
        return new TcpServer(listener, service, maxPayload, stall);
    }

    public static TcpServer start(Service service, String host, int port, SSLContext tls) throws IOException {
        return start(service, host, port, tls, Frame.DEFAULT_MAX_PAYLOAD, Duration.ofSeconds(30));
    }

    public int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = listener.accept();
                connections.add(s);
                Thread.ofPlatform().daemon().name("veil-conn-" + s.getRemoteSocketAddress()).start(() -> serve(s));
            } catch (IOException e) {
                if (!closed) System.err.println("veil: accept failed: " + e.getMessage());
            }
        }
    }

    private void serve(Socket socket) {
        var peer = new Peer(String.valueOf(socket.getRemoteSocketAddress()));
        var inFlight = new java.util.concurrent.Semaphore(MAX_IN_FLIGHT);
        try (socket) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(stallMillis);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            while (!closed) {
                Frame f;
                try {
                    f = Frame.read(in, maxPayload);
                } catch (ProtocolException e) {
                    send(out, socket, 0, new Message.Error(e.code(), e.getMessage()));
                    return;
                }
                if (f == null) return;
                Message request;
                try {
                    request = f.message();
                } catch (ProtocolException e) {
                    send(out, socket, f.requestId(), new Message.Error(e.code(), e.getMessage()));
                    continue;
                }
                int id = f.requestId();
                inFlight.acquireUninterruptibly(); // back-pressure: stop reading while too many calls are pending
                Service.answer(service, peer, request).thenAccept(reply -> {
                    inFlight.release();
                    send(out, socket, id, reply);
                });
            }
        } catch (IOException e) {
            // the peer went away or sent garbage TLS; nothing to answer
        } finally {
            connections.remove(socket);
            service.disconnected(peer);
        }
    }

    private static void send(OutputStream out, Socket socket, int id, Message reply) {
        Frame frame;
        try {
            frame = Frame.of(id, reply);
        } catch (RuntimeException e) {
            frame = Frame.of(id, new Message.Error(ErrorCode.SERVER_ERROR, "cannot encode reply: " + e.getMessage()));
        }
        try {
            synchronized (out) {
                frame.write(out);
            }
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already broken
            }
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
        for (Socket s : connections) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
