package dev.veil.protocol.transport;

import dev.veil.protocol.Frame;
import java.time.Duration;

/**
 * What one peer may take from a {@link TcpServer}: frame sizes, deadlines, connections and memory. The defaults
 * suit a weights server; PROTOCOL.md ("Limits") documents them.
 *
 * @param maxPayload largest payload once the peer has greeted (announced in WELCOME), and largest reply
 * @param greetingPayload largest payload before the peer has greeted
 * @param greetingDeadline time from accept to a successful HELLO
 * @param frameDeadline time from a frame's first byte to its last
 * @param idleTimeout time a connection with nothing in flight may stay silent
 * @param writeDeadline time one reply may take to be written; a peer that does not read is dropped after it
 * @param maxConnections connections served at once; more are refused
 * @param connectionBytes bytes of requests and their replies one connection may hold in the server at once
 * @param totalBytes the same over all connections
 * @param tick how often waiting threads check their deadlines
 */
public record ServerLimits(int maxPayload, int greetingPayload, Duration greetingDeadline, Duration frameDeadline,
                           Duration idleTimeout, Duration writeDeadline, int maxConnections, long connectionBytes,
                           long totalBytes, Duration tick) {
    public static final int GREETING_PAYLOAD = 64 << 10;

    public ServerLimits {
        if (greetingPayload < 1024 || greetingPayload > maxPayload) {
            throw new IllegalArgumentException("payload limits must satisfy 1 KiB <= greeting <= max");
        }
        if (maxConnections < 1 || connectionBytes < maxPayload || totalBytes < connectionBytes) {
            throw new IllegalArgumentException("need at least one connection and maxPayload <= connectionBytes <= totalBytes");
        }
    }

    public static ServerLimits defaults() {
        long heapShare = Runtime.getRuntime().maxMemory() / 2;
        long total = Math.max(2L * Frame.DEFAULT_MAX_PAYLOAD, Math.min(4L << 30, heapShare));
        return new ServerLimits(Frame.DEFAULT_MAX_PAYLOAD, GREETING_PAYLOAD, Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofMinutes(15), Duration.ofSeconds(30), 256, 2L * Frame.DEFAULT_MAX_PAYLOAD, total, Duration.ofMillis(250));
    }

    public ServerLimits withMaxPayload(int bytes) {
        return new ServerLimits(bytes, Math.min(greetingPayload, bytes), greetingDeadline, frameDeadline, idleTimeout,
                writeDeadline, maxConnections, Math.max(connectionBytes, bytes),
                Math.max(totalBytes, Math.max(connectionBytes, bytes)), tick);
    }

    public ServerLimits withFrameDeadline(Duration d) {
        return new ServerLimits(maxPayload, greetingPayload, greetingDeadline, d, idleTimeout,
                writeDeadline, maxConnections, connectionBytes, totalBytes, tick);
    }

    public ServerLimits withGreetingDeadline(Duration d) {
        return new ServerLimits(maxPayload, greetingPayload, d, frameDeadline, idleTimeout,
                writeDeadline, maxConnections, connectionBytes, totalBytes, tick);
    }

    public ServerLimits withIdleTimeout(Duration d) {
        return new ServerLimits(maxPayload, greetingPayload, greetingDeadline, frameDeadline, d,
                writeDeadline, maxConnections, connectionBytes, totalBytes, tick);
    }

    public ServerLimits withWriteDeadline(Duration d) {
        return new ServerLimits(maxPayload, greetingPayload, greetingDeadline, frameDeadline, idleTimeout,
                d, maxConnections, connectionBytes, totalBytes, tick);
    }

    public ServerLimits withMaxConnections(int n) {
        return new ServerLimits(maxPayload, greetingPayload, greetingDeadline, frameDeadline, idleTimeout,
                writeDeadline, n, connectionBytes, totalBytes, tick);
    }

    public ServerLimits withMemory(long perConnection, long total) {
        return new ServerLimits(maxPayload, greetingPayload, greetingDeadline, frameDeadline, idleTimeout,
                writeDeadline, maxConnections, perConnection, total, tick);
    }

    public ServerLimits withTick(Duration d) {
        return new ServerLimits(maxPayload, greetingPayload, greetingDeadline, frameDeadline, idleTimeout,
                writeDeadline, maxConnections, connectionBytes, totalBytes, d);
    }
}
