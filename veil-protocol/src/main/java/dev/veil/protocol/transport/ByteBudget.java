package dev.veil.protocol.transport;

/**
 * Bytes of requests and replies a server holds for its peers, bounded per connection and in total. A request
 * waits for room (TCP flow control then slows its sender); one that would not fit even alone is let through
 * when its connection, or the whole server, holds nothing, so a large call can never wait forever.
 */
final class ByteBudget {
    private final long perConnection, total;
    private final long tickMillis;
    private long used;

    ByteBudget(long perConnection, long total, long tickMillis) {
        this.perConnection = perConnection;
        this.total = total;
        this.tickMillis = Math.max(1, tickMillis);
    }

    /** Holds {@code bytes} for {@code c}; false when the connection closes or {@code timeoutNanos} pass first. */
    synchronized boolean acquire(Connection c, long bytes, long timeoutNanos) {
        long start = System.nanoTime();
        while (!fits(c, bytes)) {
            if (c.closing() || (timeoutNanos != Long.MAX_VALUE && System.nanoTime() - start > timeoutNanos)) return false;
            try {
                wait(tickMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        used += bytes;
        c.held += bytes;
        return true;
    }

    private boolean fits(Connection c, long bytes) {
        return (used + bytes <= total || used == 0) && (c.held + bytes <= perConnection || c.held == 0);
    }

    synchronized void release(Connection c, long bytes) {
        if (bytes == 0) return;
        used -= bytes;
        c.held -= bytes;
        notifyAll();
    }

    synchronized long used() {
        return used;
    }
}
