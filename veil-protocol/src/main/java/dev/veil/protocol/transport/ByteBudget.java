package dev.veil.protocol.transport;

/**
 * Bytes a server holds for its peers (request buffers as they grow, decoded requests, replies until written),
 * bounded per connection and in total. Each connection's first total/(8 · connections) bytes are its own, set aside out of
 * the total, so that an honest peer's small calls never wait behind the peers that spent the rest; what a connection
 * holds beyond them is borrowed from the shared part, first come. A call that could not fit even alone is let
 * through when its connection holds nothing else and no other connection borrows, so it never waits forever.
 *
 * <p>One budget per server: its Veil port ({@link TcpServer}), its OIP HTTP port and its OIP gRPC port all hold against it
 * ({@link #of}), so that the server holds at most {@code totalBytes} whichever ports its peers use.
 */
public final class ByteBudget {
    /** What one connection holds against a budget, and whether it is closing (a waiter then gives up). */
    public abstract static class Account {
        /** Bytes held; guarded by the budget's lock. */
        long held;

        protected abstract boolean closing();

        /** Bytes this account holds now. */
        public final long held(ByteBudget budget) {
            synchronized (budget) {
                return held;
            }
        }
    }

    /** One budget for a server's {@code ports} ports, each serving at most {@code limits.maxConnections()} connections. */
    public static ByteBudget of(ServerLimits limits, int ports) {
        return new ByteBudget(limits.connectionBytes(), limits.totalBytes(), ports * limits.maxConnections(), limits.tick().toMillis());
    }

    private final long perConnection, own, shared;
    private final long tickMillis;
    private long used, borrowed, waiting;

    ByteBudget(long perConnection, long total, int maxConnections, long tickMillis) {
        this.perConnection = perConnection;
        this.own = total / 8 / maxConnections;
        this.shared = total - own * maxConnections;
        this.tickMillis = Math.max(1, tickMillis);
    }

    /**
     * Holds {@code bytes} more for {@code c}, of which {@code mine} are already held for the same call; false when the
     * connection closes or {@code timeoutNanos} pass first.
     */
    public synchronized boolean acquire(Account c, long bytes, long mine, long timeoutNanos) {
        if (!await(c, bytes, mine, timeoutNanos)) return false;
        force(c, bytes);
        return true;
    }

    /** Waits, holding nothing, until {@code bytes} would fit; false when the connection closes or the time passes. */
    synchronized boolean await(Account c, long bytes, long mine, long timeoutNanos) {
        long start = System.nanoTime();
        if (fits(c, bytes, mine)) return true;
        waiting++;
        try {
            while (!fits(c, bytes, mine)) {
                if (c.closing() || (timeoutNanos != Long.MAX_VALUE && System.nanoTime() - start > timeoutNanos)) return false;
                wait(tickMillis);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            waiting--;
        }
    }

    /** Holds bytes that already exist (a reply larger than its bound): the connection then waits before reading more. */
    public synchronized void force(Account c, long bytes) {
        borrowed += borrow(c.held + bytes) - borrow(c.held);
        used += bytes;
        c.held += bytes;
    }

    private boolean fits(Account c, long bytes, long mine) {
        long after = c.held + bytes, more = borrow(after) - borrow(c.held);
        boolean alone = c.held == mine;
        return (after <= perConnection || alone)
                && (more == 0 || borrowed + more <= shared || (alone && borrowed == borrow(c.held)));
    }

    private long borrow(long held) {
        return Math.max(0, held - own);
    }

    public synchronized void release(Account c, long bytes) {
        if (bytes == 0) return;
        borrowed -= borrow(c.held) - borrow(c.held - bytes);
        used -= bytes;
        c.held -= bytes;
        notifyAll();
    }

    public synchronized long used() {
        return used;
    }

    /** Readers waiting for room now. */
    synchronized long waiting() {
        return waiting;
    }
}
