package dev.veil.protocol.transport;

import dev.veil.engine.Eventually;
import dev.veil.protocol.Message;
import java.util.function.BooleanSupplier;

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
        notifyAll();
    }

    /**
     * Lets calls through {@code calls} at a time, each time the gate holds one, until {@code done} (which must
     * come of those calls), then opens: the work behind the gate goes on in steps, so it cannot run to its end
     * before whatever it waits for has happened, however the threads are scheduled.
     */
    public void trickle(String done, long calls, BooleanSupplier condition) {
        Eventually.until(done, () -> {
            if (condition.getAsBoolean()) return true;
            synchronized (this) {
                if (waiting > 0 && passed >= allowed) holdAfter(calls);
            }
            return false;
        });
        open();
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
        return beforeEachCall(server, this::pass);
    }

    /** {@code server}, running {@code before} ahead of each of its calls (a gate, a delay). */
    public static Channel beforeEachCall(Channel server, Runnable before) {
        return new Channel() {
            @Override
            public Message exchange(Message request) {
                before.run();
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
