package dev.veil.node;

import dev.veil.engine.model.Model;

/**
 * The trusted node as one scheme set it up: what its sessions share (the node's part of the model, channels,
 * bases or pads, a sanitizer). Each {@link #session()} is one request with its own KV cache and secrets;
 * sessions may run concurrently.
 */
public interface TrustedNode extends AutoCloseable {
    Scheme scheme();

    /** The part of the model the node keeps. */
    Model model();

    /** A new session. */
    Session session();

    /**
     * A new session for {@code tenant}, the party a request is charged to: schemes whose secrets depend on who asks
     * (cmif's consistent draws) key them on it; the others ignore it.
     */
    default Session session(String tenant) {
        return session();
    }

    /**
     * As {@link #session(String)}, charging what the session spends to {@code budget} (null: to none) before anything
     * is sent; schemes that spend nothing ignore it.
     */
    default Session session(String tenant, TenantBudget budget) {
        return session(tenant);
    }

    /** One line: what setting up did (bases exchanged, pools, sanitizer), for stderr and logs. */
    String setupReport();

    /** One line: the node's work so far over all sessions, {@code tokens} tokens in all; empty when there is nothing to say. */
    String workReport(long tokens);

    /**
     * Waits until the background work the sessions so far caused is done (remo-otp: the pads they used are
     * refilled), so that a measurement of the node's CPU per token counts it. Nothing to wait for by default.
     */
    default void settle() throws InterruptedException {}

    /** Closes the channels (and what the node runs in the background). */
    @Override
    void close();
}
