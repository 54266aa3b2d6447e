package dev.veil.protocol.transport;

import dev.veil.protocol.Message;

/**
 * Holds weights-server calls where a test needs a session to be under way, instead of hoping it still is (a sleep, or
 * a slowed server): open until {@link #holdAfter}, then the calls beyond the allowance wait until {@link #open}.
 * Shared with the other modules' tests through the test-jar.
 */
public final class Gate {
    private long passed, allowed = Long.MAX_VALUE;
    private int waiting;

    /** Lets {@code calls} more calls through, then holds the rest. */
    public synchronized void holdAfter(long calls) {
        allowed = passed + calls;
    }

    /** Lets every call through from now on. */
    public synchronized void open() {
        allowed = Long.MAX_VALUE;
        notifyAll();
    }

    /** Calls being held now. */
    public synchronized int waiting() {
        return waiting;
    }

    private synchronized void pass() {
        waiting++;
        try {
            while (passed >= allowed) wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted at the gate", e);
        } finally {
            waiting--;
        }
        passed++;
    }

    /** {@code server}, each of whose calls first passes this gate. */
    public Channel wrap(Channel server) {
        return new Channel() {
            @Override
            public Message exchange(Message request) {
                pass();
                return server.exchange(request);
            }

            @Override
            public Traffic traffic() {
                return server.traffic();
            }

            @Override
            public void close() {
                server.close();
            }
        };
    }
}
